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

ScanPage MergeScanPages(std::vector<ScanPage> pages, std::size_t limit,
                        const ScanKeep& keep) {
  // Keys up to `cut` are complete in every source.
  const std::string* cut = nullptr;
  for (const ScanPage& p : pages) {
    if (!p.next_after.empty() && (cut == nullptr || p.next_after < *cut)) {
      cut = &p.next_after;
    }
  }
  std::vector<std::size_t> pos(pages.size(), 0);
  ScanPage out;
  for (;;) {
    // The smallest next key over all sources; the first source wins a tie.
    std::size_t best = pages.size();
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (pos[i] == pages[i].entries.size()) continue;
      if (best == pages.size() ||
          pages[i].entries[pos[i]].key < pages[best].entries[pos[best]].key) {
        best = i;
      }
    }
    if (best == pages.size()) break;
    const std::string key = pages[best].entries[pos[best]].key;
    if (cut != nullptr && key > *cut) break;
    if (out.entries.size() == limit) {
      out.next_after = out.entries.back().key;
      return out;
    }
    // Every source past `key` (the losers of a tie drop their copy).
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (i != best && pos[i] < pages[i].entries.size() &&
          pages[i].entries[pos[i]].key == key) {
        ++pos[i];
      }
    }
    ScanEntry entry = std::move(pages[best].entries[pos[best]++]);
    if (!keep || keep(entry, best)) out.entries.push_back(std::move(entry));
  }
  if (cut != nullptr) out.next_after = *cut;
  return out;
}

}  // namespace cask
