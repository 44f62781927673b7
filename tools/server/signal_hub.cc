#include "signal_hub.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace cask::server {
namespace {

struct Hub {
  std::mutex mu;
  std::map<std::uint64_t, std::function<void()>> shutdowns;
  std::uint64_t next = 1;
  int pipe_fds[2] = {-1, -1};
  bool installed = false;
};

Hub& GetHub() {
  static Hub* hub = new Hub;  // never destroyed: the watcher outlives main
  return *hub;
}

extern "C" void CaskServerSignalHandler(int) {
  int saved = errno;
  char c = 1;
  ssize_t n = write(GetHub().pipe_fds[1], &c, 1);
  (void)n;
  errno = saved;
}

// REQUIRES: hub.mu held.
void InstallLocked(Hub& hub) {
  if (hub.installed) return;
  if (pipe(hub.pipe_fds) != 0) return;
  fcntl(hub.pipe_fds[1], F_SETFL, O_NONBLOCK);
  hub.installed = true;
  std::thread([&hub] {
    char c;
    while (read(hub.pipe_fds[0], &c, 1) >= 0 || errno == EINTR) {
      std::lock_guard<std::mutex> lock(hub.mu);
      for (auto& [handle, shutdown] : hub.shutdowns) shutdown();
    }
  }).detach();
  struct sigaction sa {};
  sa.sa_handler = CaskServerSignalHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace

std::uint64_t SignalHub::Register(std::function<void()> shutdown) {
  Hub& hub = GetHub();
  std::lock_guard<std::mutex> lock(hub.mu);
  InstallLocked(hub);
  std::uint64_t handle = hub.next++;
  hub.shutdowns.emplace(handle, std::move(shutdown));
  return handle;
}

void SignalHub::Unregister(std::uint64_t handle) {
  Hub& hub = GetHub();
  std::lock_guard<std::mutex> lock(hub.mu);
  hub.shutdowns.erase(handle);
}

}  // namespace cask::server
