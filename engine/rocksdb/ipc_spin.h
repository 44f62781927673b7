// SpinBudget: how long one side of a ring polls for the other before it
// sleeps on a futex (docs/processes.md, "Waking").
//
// A futex sleep costs its wake-up: a few microseconds on a busy machine,
// but tens of microseconds on a quiet virtual machine, whose idle vCPU is
// halted and must be restarted by the host. Polling avoids that cost when
// the other side answers soon, and wastes a CPU that others could use when
// it does not. So each side learns how long its waits take (a moving
// average of the last ones) and polls for about twice that, between
// kMinSpin and kMaxSpin; when waits take longer than kMaxSpin on average
// (the other side is slow or descheduled: a loaded machine), polling
// cannot pay and it polls for kMinSpin only. Polling yields the CPU between
// looks, so a runnable thread of the other side is not kept waiting.
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

  // How long to poll before sleeping, in nanoseconds.
  std::int64_t nanos() const {
    const std::int64_t avg = average_.load(std::memory_order_relaxed);
    if (avg > kMaxSpin) return kMinSpin;
    return std::clamp(2 * avg, kMinSpin, kMaxSpin);
  }

  // Records how long a wait took, polled or slept. An outlier (a
  // descheduled peer) counts as 4 × kMaxSpin, so one does not switch
  // polling off for long.
  void Observe(std::int64_t waited_nanos) {
    const std::int64_t w = std::min(waited_nanos, 4 * kMaxSpin);
    const std::int64_t avg = average_.load(std::memory_order_relaxed);
    average_.store(avg + (w - avg) / 8, std::memory_order_relaxed);
  }

 private:
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
