// The key range of a scan, shared by every store's DoScan.
#include "cask/scan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"

namespace cask {

std::string ScanLowerBound(std::string_view base,
                           std::string_view start_after) {
  std::string floor =
      base.empty() ? std::string() : absl::StrCat(ToAbsl(base), ":");
  return std::string(std::max<std::string_view>(floor, start_after));
}

std::string ScanUpperBound(std::string_view base) {
  // ';' is ':' + 1: every key under `base:` sorts below `base;`.
  return base.empty() ? std::string() : absl::StrCat(ToAbsl(base), ";");
}

}  // namespace cask
