#include "proc_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/time/clock.h"
#include "ipc.h"

namespace cask::processes {

EngineOptions TestOptions(bool buffered) {
  EngineOptions options;
  options.maintenance_interval = absl::Milliseconds(50);
  options.durability = buffered ? Durability::kBuffered : Durability::kDurable;
  return options;
}

void MaybeRunOwner(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[1], "--cask-owner") != 0) return;
  std::string dir = argv[2];
  bool buffered = std::strcmp(argv[3], "buffered") == 0;
  int ready_fd = std::atoi(argv[4]);
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open(dir, TestOptions(buffered));
  if (!engine.ok()) {
    std::fprintf(stderr, "owner process: %s\n",
                 std::string(engine.status().ToString()).c_str());
    _exit(3);
  }
  char c = 1;
  (void)!write(ready_fd, &c, 1);
  close(ready_fd);
  for (;;) pause();
}

pid_t SpawnOwner(const std::string& dir, bool buffered) {
  int fds[2];
  if (pipe(fds) != 0) return -1;  // the write end is inherited by exec
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    std::string fd = std::to_string(fds[1]);
    const char* mode = buffered ? "buffered" : "durable";
    execl("/proc/self/exe", "cask-owner", "--cask-owner", dir.c_str(), mode,
          fd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char c = 0;
  ssize_t n;
  do {
    n = read(fds[0], &c, 1);
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n != 1) {
    KillAndReap(pid);
    return -1;
  }
  return pid;
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

pid_t WaitForOwner(const std::string& dir, pid_t not_this) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<pid_t> pid = engine::ipc::OwnerPid(dir);
    if (pid.ok() && *pid != not_this) return *pid;
    absl::SleepFor(absl::Microseconds(200));
  }
  return -1;
}

std::string MakeTempDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                        "/cask-" + tag + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

}  // namespace cask::processes
