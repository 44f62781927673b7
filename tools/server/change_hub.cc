#include "change_hub.h"

#include <utility>
#include <vector>

#include "cask/key.h"

namespace cask::server {

ChangeHub::ChangeHub(Driver* store, std::size_t max_waiters)
    : store_(store), max_waiters_(max_waiters) {}

ChangeHub::~ChangeHub() {
  Shutdown();
  std::unique_ptr<Subscription> sub;
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    sub = std::move(subscription_);
  }
  sub.reset();  // waits for a callback in progress, outside mu_
}

std::optional<std::uint64_t> ChangeHub::Add(std::uint64_t after,
                                            std::string prefix,
                                            std::function<void()> wake) {
  bool start = false;
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_ || (watch_after_ && latest_ > after)) {
      // Already something newer (it may lie outside the prefix: the
      // caller reads again and re-registers).
      id = 0;
    } else {
      if (waiters_.size() >= max_waiters_) return std::nullopt;
      id = next_id_++;
      waiters_.emplace(id, Waiter{after, std::move(prefix), wake});
      // A watch that started after this waiter's revision would miss the
      // events in between: (re)start it early enough.
      start = !watch_after_ || *watch_after_ > after;
      if (start) watch_after_ = after;
    }
  }
  if (id == 0) {
    wake();
    return 0;
  }
  if (start) StartWatch(after);
  return id;
}

void ChangeHub::StartWatch(std::uint64_t after) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      store_->Watch("", after, [this](const ChangeEvent& e) { OnEvent(e); });
  if (!sub.ok()) {
    // No watch (the store has none, or it failed): wake everyone so the
    // polls answer now instead of hanging until their deadline.
    std::vector<std::function<void()>> wakes;
    {
      std::lock_guard<std::mutex> l(mu_);
      watch_after_.reset();
      for (auto& [id, w] : waiters_) wakes.push_back(std::move(w.wake));
      waiters_.clear();
    }
    for (auto& wake : wakes) wake();
    return;
  }
  std::unique_ptr<Subscription> old = std::move(subscription_);
  subscription_ = *std::move(sub);
  old.reset();
}

void ChangeHub::OnEvent(const ChangeEvent& event) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = std::max(latest_, event.revision);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      const Waiter& w = it->second;
      bool under = w.prefix.empty() || event.kind == ChangeKind::kClear ||
                   IsUnderBase(event.key, w.prefix);
      if (event.revision > w.after && under) {
        wakes.push_back(std::move(it->second.wake));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& wake : wakes) wake();
}

void ChangeHub::Remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  waiters_.erase(id);
}

void ChangeHub::Shutdown() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (auto& [id, w] : waiters_) wakes.push_back(std::move(w.wake));
    waiters_.clear();
  }
  for (auto& wake : wakes) wake();
}

}  // namespace cask::server
