// One shared Watch on the store for every change-feed long poll: waiters
// register the revision they have seen and a key prefix, and are woken
// (once) by the first later event under that prefix. The Watch starts with
// the first waiter and lives until the hub is destroyed, so a long poll
// costs a map entry, not a thread or a Watch of its own (in a non-owner
// engine process each Watch polls the owner).
//
// Thread safety: every method may be called from any thread. A wake
// function runs on the store's watch thread or the caller's, without the
// hub's lock; it must only hand work to another thread and return.
#ifndef CASK_TOOLS_SERVER_CHANGE_HUB_H_
#define CASK_TOOLS_SERVER_CHANGE_HUB_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cask/driver.h"

namespace cask::server {

class ChangeHub {
 public:
  // REQUIRES: `store` outlives the hub.
  ChangeHub(Driver* store, std::size_t max_waiters);
  ~ChangeHub();

  // Registers a waiter; `wake` is called once when an event after `after`
  // under `prefix` arrives, or at Shutdown. Returns its id, or nullopt
  // when max_waiters are already waiting (the caller answers 503).
  std::optional<std::uint64_t> Add(std::uint64_t after, std::string prefix,
                                   std::function<void()> wake);
  // Forgets a waiter (its wait timed out, its client left). A waiter
  // already woken is gone; removing it again is harmless.
  void Remove(std::uint64_t id);
  // Wakes every waiter; later Adds are woken at once.
  void Shutdown();

 private:
  struct Waiter {
    std::uint64_t after;
    std::string prefix;
    std::function<void()> wake;
  };
  void OnEvent(const ChangeEvent& event);
  void StartWatch(std::uint64_t after);

  Driver* const store_;
  const std::size_t max_waiters_;
  std::mutex mu_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::uint64_t next_id_ = 1;
  bool shutting_down_ = false;
  // The revision the watch started after, and the last one it reported.
  std::optional<std::uint64_t> watch_after_;
  std::uint64_t latest_ = 0;
  std::mutex watch_mu_;  // serialises starting and replacing the watch
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_CHANGE_HUB_H_
