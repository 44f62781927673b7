// The argument checks Driver::Scan and Snapshot::Scan share, so a store
// and a snapshot of it accept exactly the same scans.
#ifndef CASK_ENGINE_API_SCAN_ARGS_H_
#define CASK_ENGINE_API_SCAN_ARGS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/scan.h"

namespace cask::internal {

struct ScanArgs {
  std::string base;     // normalised
  ScanOptions options;  // start_after normalised (or empty), limit > 0
};

// kInvalidArgument for a bad base or start_after, or a zero limit.
absl::StatusOr<ScanArgs> NormalizeScanArgs(std::string_view base,
                                           const ScanOptions& options);

// Leaves out entries of the reserved key space unless `base` lies in it.
// next_after is kept, so paging still moves past them.
void DropReservedEntries(const std::string& base, ScanPage& page);

}  // namespace cask::internal

#endif  // CASK_ENGINE_API_SCAN_ARGS_H_
