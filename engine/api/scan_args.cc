#include "scan_args.h"

#include <utility>

#include "cask/key.h"

namespace cask::internal {

absl::StatusOr<ScanArgs> NormalizeScanArgs(std::string_view base,
                                           const ScanOptions& options) {
  if (options.limit == 0) {
    return absl::InvalidArgumentError("scan limit must be at least 1");
  }
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  ScanArgs args{*std::move(b), options};
  if (!options.start_after.empty()) {
    absl::StatusOr<std::string> after = NormalizeKey(options.start_after);
    if (!after.ok()) return after.status();
    args.options.start_after = *std::move(after);
  }
  return args;
}

void DropReservedEntries(const std::string& base, ScanPage& page) {
  if (IsReservedKey(base)) return;
  std::erase_if(page.entries,
                [](const ScanEntry& e) { return IsReservedKey(e.key); });
}

}  // namespace cask::internal
