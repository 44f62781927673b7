// The argument checks Driver::Scan and Snapshot::Scan share, so a store
// and a snapshot of it accept exactly the same scans.
#ifndef CASK_ENGINE_API_SCAN_ARGS_H_
#define CASK_ENGINE_API_SCAN_ARGS_H_

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "cask/scan.h"

namespace cask::internal {

// What a store's DoScan looks like: base normalised, options.start_after
// normalised (or empty), options.limit > 0.
using ScanFn = absl::FunctionRef<absl::StatusOr<ScanPage>(
    const std::string& base, const ScanOptions& options)>;

// Checks and normalises the arguments (kInvalidArgument for a bad base or
// start_after, or a zero limit), runs `scan` on them, and leaves out
// entries of the reserved key space unless `base` lies in it (next_after is
// kept, so paging still moves past them).
absl::StatusOr<ScanPage> CheckedScan(std::string_view base,
                                     const ScanOptions& options, ScanFn scan);

}  // namespace cask::internal

#endif  // CASK_ENGINE_API_SCAN_ARGS_H_
