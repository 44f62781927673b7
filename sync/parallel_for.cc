#include "parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace cask::sync_internal {

absl::Status ParallelFor(std::size_t n, std::size_t threads,
                         const std::function<absl::Status(std::size_t)>& fn) {
  if (threads <= 1 || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) {
      if (absl::Status s = fn(i); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  std::size_t first_index = n;
  absl::Status first;
  auto work = [&] {
    while (!failed.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      absl::Status s = fn(i);
      if (s.ok()) continue;
      failed = true;
      absl::MutexLock lock(&mu);
      if (i < first_index) {
        first_index = i;
        first = std::move(s);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < std::min(threads, n); ++t) {
    helpers.emplace_back(work);
  }
  work();
  for (std::thread& t : helpers) t.join();
  return first;
}

}  // namespace cask::sync_internal
