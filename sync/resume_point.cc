#include "resume_point.h"

#include <limits>

namespace cask::sync_internal {
namespace {

enum class Probe { kTrimmed, kBeforeHead, kAtOrPastHead };

absl::StatusOr<Probe> ProbeAt(Driver& store, std::uint64_t after) {
  absl::StatusOr<std::vector<ChangeEvent>> events = store.Changes(after, 1);
  if (events.status().code() == absl::StatusCode::kOutOfRange) {
    return Probe::kTrimmed;
  }
  if (!events.ok()) return events.status();
  return events->empty() ? Probe::kAtOrPastHead : Probe::kBeforeHead;
}

}  // namespace

absl::StatusOr<std::uint64_t> FindResumePoint(Driver& store,
                                              std::uint64_t trimmed) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t lo = trimmed, hi = 0;
  // Gallop up from the trimmed position until a probe is readable.
  for (std::uint64_t step = 1;; step = step > kMax / 2 ? kMax : step * 2) {
    std::uint64_t probe = lo > kMax - step ? kMax : lo + step;
    absl::StatusOr<Probe> p = ProbeAt(store, probe);
    if (!p.ok()) return p.status();
    if (*p == Probe::kBeforeHead) return probe;
    if (*p == Probe::kAtOrPastHead) {
      hi = probe;
      break;
    }
    if (probe == kMax) return absl::OutOfRangeError("change log has no end");
    lo = probe;
  }
  // lo is trimmed, hi readable but at or past the head: the head lies in
  // (lo, hi]. Narrow down to a readable position not past it.
  while (hi - lo > 1) {
    std::uint64_t mid = lo + (hi - lo) / 2;
    absl::StatusOr<Probe> p = ProbeAt(store, mid);
    if (!p.ok()) return p.status();
    if (*p == Probe::kBeforeHead) return mid;
    (*p == Probe::kTrimmed ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace cask::sync_internal
