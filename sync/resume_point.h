// Where to follow a change log again after a full compare.
#ifndef CASK_SYNC_RESUME_POINT_H_
#define CASK_SYNC_RESUME_POINT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask::sync_internal {

// A revision R that `store`'s log can still be read after (Changes(R) is
// not kOutOfRange) and that is no newer than its head now, found by
// probing Changes with limit 1 (O(log head) calls): above a position
// known to be trimmed (`trimmed` < retention) and below the first position
// past the head. A full compare that starts after this call, resuming the
// feed at R, therefore misses nothing; events it already reflects are
// replayed harmlessly.
absl::StatusOr<std::uint64_t> FindResumePoint(Driver& store,
                                              std::uint64_t trimmed);

}  // namespace cask::sync_internal

#endif  // CASK_SYNC_RESUME_POINT_H_
