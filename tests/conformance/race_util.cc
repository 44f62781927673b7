#include "race_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "catch2/catch.hpp"

namespace cask::conformance {

IncrementOutcome Increment(Driver& store, const std::string& key, int n) {
  IncrementOutcome out;
  for (int i = 0; i < n; ++i) {
    while (true) {
      absl::StatusOr<Item> item = store.Get(key);
      if (!item.ok()) {
        out.error = item.status().ToString();
        return out;
      }
      std::int64_t value = 0;
      if (!absl::SimpleAtoi(item->value, &value)) {
        out.error = "counter is not a number: " + item->value;
        return out;
      }
      WriteOptions swap;
      swap.precondition = Precondition::IfMatch(item->meta.etag);
      absl::StatusOr<std::string> r =
          store.Set(key, absl::StrCat(value + 1), swap);
      if (r.ok()) {
        ++out.acknowledged;
        break;
      }
      if (!IsCasMismatch(r.status())) {
        out.error = r.status().ToString();
        return out;
      }
      ++out.mismatches;
    }
  }
  return out;
}

std::vector<std::int64_t> ForkChildren(
    int n, const std::function<std::int64_t(int)>& body,
    const std::function<void()>& meanwhile) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      std::int64_t result = body(i);
      ssize_t w = write(fds[1], &result, sizeof result);
      _exit(w == sizeof result && result >= 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  close(fds[1]);
  if (meanwhile) meanwhile();
  std::vector<std::int64_t> results;
  std::int64_t value;
  while (read(fds[0], &value, sizeof value) == sizeof value) {
    results.push_back(value);
  }
  close(fds[0]);
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  REQUIRE(results.size() == static_cast<std::size_t>(n));
  return results;
}

}  // namespace cask::conformance
