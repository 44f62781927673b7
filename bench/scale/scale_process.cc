#include "scale_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

extern char** environ;

namespace cask::bench {
namespace {

long StatusField(pid_t pid, const std::string& field) {
  std::string path = pid == 0 ? "/proc/self/status"
                              : "/proc/" + std::to_string(pid) + "/status";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::atol(line.c_str() + field.size());
    }
  }
  return -1;
}

}  // namespace

long RssKiB(pid_t pid) { return StatusField(pid, "VmRSS:"); }
long PeakRssKiB(pid_t pid) { return StatusField(pid, "VmHWM:"); }

bool ResetPeakRss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5\n";
  out.flush();
  return static_cast<bool>(out);
}

bool DropPageCache() {
  sync();
  std::ofstream out("/proc/sys/vm/drop_caches");
  out << "3\n";
  out.flush();
  return static_cast<bool>(out);
}

Child::Child(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    std::fprintf(stderr, "cannot start %s\n", args[0]);
    std::abort();
  }
  out_ = fds[0];
}

Child::~Child() {
  if (!exited_) {
    kill(pid_, SIGTERM);
    Wait();
  }
  close(out_);
}

std::string Child::ReadLine() {
  for (;;) {
    if (std::size_t nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    char buf[4096];
    ssize_t n = read(out_, buf, sizeof buf);
    if (n <= 0) {
      std::string rest;
      rest.swap(buffered_);
      return rest;
    }
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

int Child::Wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
  }
  exited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace cask::bench
