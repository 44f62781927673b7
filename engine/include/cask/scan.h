// Paged, ordered reads of a key range: the types of Driver::Scan and
// Snapshot::Scan (cask/driver.h, cask/snapshot.h).
//
// A scan walks the keys under a base in bytewise order of their normalised
// form, one page at a time, so a caller can visit a store of any size in
// bounded memory and resume where it stopped (also in another process, or
// after a restart: the continuation is just a key).
//
// Consistency: a scan through a Snapshot sees one state of the store. A
// scan of a live store does not: each page reflects the store when it was
// read. A key that exists and is not written during the whole scan is
// returned exactly once; a key created, changed or removed during the scan
// may or may not appear, and appears with the metadata it had when its page
// was read. No key is ever returned twice.
//
// Thread safety: plain values; not synchronised.
#ifndef CASK_SCAN_H_
#define CASK_SCAN_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cask/types.h"

namespace cask {

struct ScanOptions {
  // Start after this key ("" = from the first key under the base). It is
  // normalised like a key; it need not exist, nor lie under the base.
  std::string start_after;
  // At most this many entries in one page; 0 is kInvalidArgument. A store
  // may return fewer (down to none) and still have more to give: only an
  // empty ScanPage::next_after means the scan is complete.
  std::size_t limit = 1000;
  // Read each entry's value too, in the same atomic step as its metadata.
  bool with_values = false;
};

struct ScanEntry {
  std::string key;  // normalised, under the scanned base
  Meta meta;
  std::string value;  // empty unless ScanOptions::with_values
};

struct ScanPage {
  // In ascending bytewise key order, every key > start_after.
  std::vector<ScanEntry> entries;
  // Pass as ScanOptions::start_after to read the next page. Empty when
  // the scan is complete.
  std::string next_after;
};

// For stores implementing a scan: the keys one scan of normalised `base`
// after normalised `start_after` may return are exactly the keys k with
//   ScanLowerBound(base, start_after) < k  and  k < ScanUpperBound(base)
// in bytewise order (no upper bound when ScanUpperBound is empty). `base:`
// itself is never a key, so the lower bound is always exclusive.
std::string ScanLowerBound(std::string_view base, std::string_view start_after);
std::string ScanUpperBound(std::string_view base);

// For stores that merge several ordered sources (Storage's mounts, an
// overlay's layers): merges one page of each source, already in full keys,
// into one page of at most `limit` entries in key order. A source whose
// page has a next_after may hold more keys past it, so nothing past the
// smallest such next_after is returned (the merged page's next_after
// resumes there). Where several sources list one key, the source first in
// `pages` wins; then `keep` (when set) may drop the winner, e.g. a
// tombstone.
using ScanKeep =
    std::function<bool(const ScanEntry& entry, std::size_t source)>;
ScanPage MergeScanPages(std::vector<ScanPage> pages, std::size_t limit,
                        const ScanKeep& keep = {});

}  // namespace cask

#endif  // CASK_SCAN_H_
