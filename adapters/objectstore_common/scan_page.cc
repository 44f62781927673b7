#include "scan_page.h"

#include <utility>

#include "absl/status/status.h"

namespace cask::objstore {

absl::StatusOr<ScanPage> PageOfListed(std::vector<ScanEntry> listed,
                                      std::size_t limit, bool with_values,
                                      const GetFn& get) {
  ScanPage page;
  if (!listed.empty() && listed.size() == limit) {
    page.next_after = listed.back().key;
  }
  for (ScanEntry& entry : listed) {
    if (with_values) {
      absl::StatusOr<Item> item = get(entry.key);
      if (absl::IsNotFound(item.status())) continue;  // removed meanwhile
      if (!item.ok()) return item.status();
      entry.meta = std::move(item->meta);
      entry.value = std::move(item->value);
    }
    page.entries.push_back(std::move(entry));
  }
  return page;
}

absl::StatusOr<ScanPage> ScanByWalk(const ListLevelFn& list,
                                    const std::string& base,
                                    const ScanOptions& options,
                                    const GetFn& get) {
  absl::StatusOr<std::vector<WalkedKey>> walked =
      WalkInKeyOrder(list, base, options.start_after, options.limit);
  if (!walked.ok()) return walked.status();
  std::vector<ScanEntry> listed;
  listed.reserve(walked->size());
  for (WalkedKey& w : *walked) {
    ScanEntry entry;
    entry.key = std::move(w.key);
    entry.meta = std::move(w.meta);
    listed.push_back(std::move(entry));
  }
  return PageOfListed(std::move(listed), options.limit, options.with_values,
                      get);
}

}  // namespace cask::objstore
