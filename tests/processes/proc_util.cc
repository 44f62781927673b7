#include "proc_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc.h"
#include "testing.h"

namespace cask::processes {

EngineOptions TestOptions(bool buffered) {
  EngineOptions options;
  options.maintenance_interval = absl::Milliseconds(50);
  options.durability = buffered ? Durability::kBuffered : Durability::kDurable;
  return options;
}

namespace {

std::string ReportPath(const std::string& dir, pid_t pid) {
  return dir + ".owner-report-" + std::to_string(pid);
}

// Writes this owner's OwnerStats for OwnerReport (write, then rename, so
// the reader never sees half a report).
void WriteReport(const std::string& dir, Engine& engine) {
  absl::StatusOr<std::uint64_t> records =
      engine::ipc::TEST_CountOutcomeRecords(engine);
  absl::StatusOr<std::uint64_t> pins =
      engine::ipc::TEST_CountPinnedSnapshots(engine);
  std::string text = std::to_string(engine::TEST_SyncedWrites()) + " " +
                     std::to_string(records.ok() ? *records : ~0ull) + " " +
                     std::to_string(pins.ok() ? *pins : ~0ull) + "\n";
  std::string path = ReportPath(dir, getpid());
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  (void)!write(fd, text.data(), text.size());
  close(fd);
  rename(tmp.c_str(), path.c_str());
}

}  // namespace

void MaybeRunOwner(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[1], "--cask-owner") != 0) return;
  std::string dir = argv[2];
  bool buffered = std::strcmp(argv[3], "buffered") == 0;
  int ready_fd = std::atoi(argv[4]);
  // SIGUSR1 asks for a report: blocked in every thread (they inherit the
  // mask), taken by sigwait below.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
  if (const char* ms = std::getenv("CASK_TEST_OUTCOME_RETENTION_MS")) {
    engine::ipc::TEST_SetOutcomeRetention(absl::Milliseconds(std::atoi(ms)));
  }
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
  for (;;) {
    int sig = 0;
    if (sigwait(&usr1, &sig) == 0 && sig == SIGUSR1) {
      WriteReport(dir, **engine);
    }
  }
}

OwnerStats OwnerReport(const std::string& dir, pid_t pid) {
  OwnerStats stats;
  std::string path = ReportPath(dir, pid);
  unlink(path.c_str());
  if (kill(pid, SIGUSR1) != 0) return stats;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f != nullptr) {
      unsigned long long synced = 0;
      unsigned long long records = 0;
      unsigned long long pins = 0;
      int n = std::fscanf(f, "%llu %llu %llu", &synced, &records, &pins);
      std::fclose(f);
      unlink(path.c_str());
      if (n != 3) return stats;
      stats.ok = true;
      stats.synced_writes = synced;
      stats.outcome_records = records;
      stats.pinned_snapshots = pins;
      return stats;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return stats;
}

int RunInChild(const std::function<int()>& body, absl::Duration limit) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(body());
  absl::Time deadline = absl::Now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) {
      KillAndReap(pid);
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
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

bool StopProcess(pid_t pid) {
  if (kill(pid, SIGSTOP) != 0) return false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  while (absl::Now() < deadline) {
    bool all = true;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(t.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), {});
      // "pid (comm) S ...": the state follows the last ')'.
      std::size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 2 >= stat.size() ||
          (stat[close + 2] != 'T' && stat[close + 2] != 't')) {
        all = false;
        break;
      }
    }
    if (!ec && all) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return false;
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
