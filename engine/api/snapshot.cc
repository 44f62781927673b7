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
  absl::StatusOr<internal::ScanArgs> args =
      internal::NormalizeScanArgs(base, options);
  if (!args.ok()) return args.status();
  absl::StatusOr<ScanPage> page = DoScan(args->base, args->options);
  if (page.ok()) internal::DropReservedEntries(args->base, *page);
  return page;
}

}  // namespace cask
