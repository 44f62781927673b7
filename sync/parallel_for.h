// Runs independent remote reads side by side, so a pull over a remote with
// a round trip per key is bounded by the remote, not by the latency.
#ifndef CASK_SYNC_PARALLEL_FOR_H_
#define CASK_SYNC_PARALLEL_FOR_H_

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace cask::sync_internal {

// Calls fn(i) for every i in [0, n), on up to `threads` threads (the
// calling one included; 0 or 1 runs them in order on the caller). After a
// failure no new index is started; returns the failure of the lowest index
// that failed, else OK. `fn` must be safe to call concurrently.
absl::Status ParallelFor(std::size_t n, std::size_t threads,
                         const std::function<absl::Status(std::size_t)>& fn);

}  // namespace cask::sync_internal

#endif  // CASK_SYNC_PARALLEL_FOR_H_
