// The checks every Snapshot call passes before a store sees it.
#include "cask/snapshot.h"

#include "cask/key.h"
#include "scan_args.h"

namespace cask {

absl::StatusOr<Item> Snapshot::Get(std::string_view key) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  return DoGet(*k);
}

absl::StatusOr<ScanPage> Snapshot::Scan(std::string_view base,
                                        const ScanOptions& options) {
  return internal::CheckedScan(
      base, options, [this](const std::string& b, const ScanOptions& o) {
        return DoScan(b, o);
      });
}

}  // namespace cask
