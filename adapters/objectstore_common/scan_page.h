// One Driver::Scan page of an object store from keys it listed in key
// order with their listed metadata, shared by s3, azure_blob and
// azure_table. Internal to the adapters; pure, thread-safe as the
// functions it is given.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_SCAN_PAGE_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_SCAN_PAGE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/scan.h"
#include "cask/types.h"
#include "key_order_walk.h"

namespace cask::objstore {

// Reads one key's value and metadata (kNotFound when it is gone).
using GetFn = std::function<absl::StatusOr<Item>(const std::string& key)>;

// The page of `listed` (at most `limit` entries, in key order): continued
// after its last key when the listing filled `limit` (a full page may have
// stopped short of more keys; a short one has not). With values, each
// comes from one `get`, which also gives its metadata; a key removed since
// the listing is left out. The first failing `get` is the answer.
absl::StatusOr<ScanPage> PageOfListed(std::vector<ScanEntry> listed,
                                      std::size_t limit, bool with_values,
                                      const GetFn& get);

// WalkInKeyOrder over `list`, then PageOfListed.
absl::StatusOr<ScanPage> ScanByWalk(const ListLevelFn& list,
                                    const std::string& base,
                                    const ScanOptions& options,
                                    const GetFn& get);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_SCAN_PAGE_H_
