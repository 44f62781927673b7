#include "scan_args.h"

#include <utility>

#include "cask/key.h"

namespace cask::internal {

absl::StatusOr<ScanPage> CheckedScan(std::string_view base,
                                     const ScanOptions& options, ScanFn scan) {
  if (options.limit == 0) {
    return absl::InvalidArgumentError("scan limit must be at least 1");
  }
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  ScanOptions normalised = options;
  if (!options.start_after.empty()) {
    absl::StatusOr<std::string> after = NormalizeKey(options.start_after);
    if (!after.ok()) return after.status();
    normalised.start_after = *std::move(after);
  }
  absl::StatusOr<ScanPage> page = scan(*b, normalised);
  if (page.ok() && !IsReservedKey(*b)) {
    std::erase_if(page->entries,
                  [](const ScanEntry& e) { return IsReservedKey(e.key); });
  }
  return page;
}

}  // namespace cask::internal
