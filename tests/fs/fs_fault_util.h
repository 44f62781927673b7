// Making the fs store fail or die at a chosen moment, for the tests of what
// a failure or a crash leaves behind: a fault at the nth call of one hook
// point (fs_test_hooks.h), and a writer process killed with SIGKILL while
// it writes.
//
// Thread safety: a FaultAt must not be created or destroyed while the store
// writes; KillWhileWriting forks, so call it from the test's own thread.
#ifndef CASK_TESTS_FS_FS_FAULT_UTIL_H_
#define CASK_TESTS_FS_FS_FAULT_UTIL_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "catch2/catch.hpp"
#include "fs_store.h"
#include "fs_test_hooks.h"

namespace cask::fs_test {

// While alive, the `nth` call of hook point `point` runs `action`; the
// store handles the errno it returns as the failure of that system call
// (0: no failure). The action may also _exit() to crash the process there.
class FaultAt {
 public:
  FaultAt(std::string point, int nth, std::function<int()> action) {
    fs_internal::TEST_SetFaultHook([point = std::move(point), nth,
                                    action = std::move(action),
                                    calls = 0](std::string_view p) mutable {
      return p == point && ++calls == nth ? action() : 0;
    });
  }
  ~FaultAt() { fs_internal::TEST_SetFaultHook(nullptr); }
  FaultAt(const FaultAt&) = delete;
  FaultAt& operator=(const FaultAt&) = delete;
};

// What `op` returns when the `nth` call of `point` fails with `err`.
template <typename Op>
auto WithFault(std::string point, int nth, int err, Op op) {
  FaultAt fault(std::move(point), nth, [err] { return err; });
  return op();
}

// Runs `write_once(store, i)` for i = 0, 1, 2, ... in a child process with its
// own fs store on `root`, and kills it with SIGKILL `delay_us`
// microseconds after write number `ready_after` (counting from 0)
// succeeded: in the middle of a later write, or between two. A write that
// fails ends the child, and then the test.
inline void KillWhileWriting(
    const std::string& root, std::uint64_t ready_after,
    const std::function<absl::Status(Driver&, std::uint64_t)>& write_once,
    useconds_t delay_us) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    auto child = CreateFsStore(FsOptions{.root = root});
    if (!child.ok()) _exit(1);
    for (std::uint64_t i = 0;; ++i) {
      if (!write_once(**child, i).ok()) _exit(2);
      if (i == ready_after) {
        char c = 'x';
        if (write(fds[1], &c, 1) != 1) _exit(3);
      }
    }
  }
  close(fds[1]);
  char c;
  const bool ready = read(fds[0], &c, 1) == 1;
  close(fds[0]);
  if (ready) usleep(delay_us);
  kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("writer exit status " << status);
  REQUIRE(ready);
  REQUIRE(WIFSIGNALED(status));
}

}  // namespace cask::fs_test

#endif  // CASK_TESTS_FS_FS_FAULT_UTIL_H_
