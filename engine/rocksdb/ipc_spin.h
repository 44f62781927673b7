// SpinBudget: how long a waiter polls before it sleeps: one side of a ring
// for the other (docs/processes.md, "Waking"), a writer for its turn on a
// contended key, a write-queue follower for its group (write_queue.cc).
//
// A futex sleep costs its wake-up: a few microseconds on a busy machine,
// but tens of microseconds on a quiet virtual machine, whose idle vCPU is
// halted and must be restarted by the host. Polling avoids that cost when
// the other side answers soon, and wastes a CPU that others could use when
// it does not. So each side learns how long its waits take (a moving
// average of the last ones) and polls for about twice that, between
// kMinSpin and its maximum (kMaxSpin unless given); when waits take longer
// than the maximum on average (the other side is slow or descheduled: a
// loaded machine), polling cannot pay and it polls for kMinSpin only. Polling
// yields the CPU between looks, so a runnable thread of the other side is not
// kept waiting.
//
// Thread safety: all methods may be called from any thread (relaxed
// atomics: an estimate, not a synchronisation).
#ifndef CASK_ENGINE_ROCKSDB_IPC_SPIN_H_
#define CASK_ENGINE_ROCKSDB_IPC_SPIN_H_

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"

namespace cask::engine::ipc {

class SpinBudget {
 public:
  static constexpr std::int64_t kMinSpin = 5'000;    // ns
  static constexpr std::int64_t kMaxSpin = 100'000;  // ns

  explicit SpinBudget(std::int64_t max_spin = kMaxSpin) : max_spin_(max_spin) {}

  std::int64_t max_spin() const { return max_spin_; }

  // Whether waits took longer than the maximum poll on average lately.
  bool waits_exceed_max() const {
    return average_.load(std::memory_order_relaxed) > max_spin_;
  }

  // How long to poll before sleeping, in nanoseconds.
  std::int64_t nanos() const {
    const std::int64_t avg = average_.load(std::memory_order_relaxed);
    if (avg > max_spin_) return kMinSpin;
    return std::clamp(2 * avg, kMinSpin, max_spin_);
  }

  // Records how long a wait took, polled or slept. An outlier (a
  // descheduled peer) counts as 4 × the maximum, so one does not switch
  // polling off for long.
  void Observe(std::int64_t waited_nanos) {
    const std::int64_t w = std::min(waited_nanos, 4 * max_spin_);
    const std::int64_t avg = average_.load(std::memory_order_relaxed);
    average_.store(avg + (w - avg) / 8, std::memory_order_relaxed);
  }

 private:
  const std::int64_t max_spin_;
  std::atomic<std::int64_t> average_{10'000};
};

// Looks at `done` until it holds or the clock (absl::GetCurrentTimeNanos)
// reaches `until_nanos`, yielding the CPU between looks; returns whether
// `done` held. The polling half of every wait that SpinBudget sizes.
template <typename Done>
bool PollYielding(std::int64_t until_nanos, Done done) {
  while (!done()) {
    if (absl::GetCurrentTimeNanos() >= until_nanos) return false;
    sched_yield();
  }
  return true;
}

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_SPIN_H_
