// The process-wide SIGTERM / SIGINT hub of `cask serve`: the signal handler
// only writes a byte to a pipe; one watcher thread turns it into a call of
// every registered shutdown function, outside signal context.
//
// Thread safety: Register and Unregister may be called from any thread.
// A shutdown function runs on the watcher thread with the hub's lock held:
// it must return quickly and not call Register / Unregister.
#ifndef CASK_TOOLS_SERVER_SIGNAL_HUB_H_
#define CASK_TOOLS_SERVER_SIGNAL_HUB_H_

#include <cstdint>
#include <functional>

namespace cask::server {

class SignalHub {
 public:
  // Installs the handlers on first use and registers `shutdown`; returns a
  // handle for Unregister.
  static std::uint64_t Register(std::function<void()> shutdown);
  // After it returns, the function of `handle` is no longer called.
  static void Unregister(std::uint64_t handle);
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_SIGNAL_HUB_H_
