// The entries of a paged listing with metadata (`GET /base/?meta=1` or
// `?values=1`, docs/protocol.md): one JSON object per line (NDJSON), so
// that the server can stream a listing of any size and a client can read
// it line by line:
//   {"key":"a:b","etag":"3.9f","size":5,"mtime_us":1700000000000000,
//    "expires_us":1700000060000000,"revision":7,"value":"hello"}
// `key` is the normalised key (`:` separators, as in the change feed);
// a key or value that is not UTF-8 travels as `key_base64` /
// `value_base64` instead. `expires_us` is absent for an item that never
// expires, `revision` for a store without revisions, and the value when
// the listing was asked without values.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_LISTING_JSON_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_LISTING_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/scan.h"

namespace cask::http_protocol {

// Appends the line of `entry` (ending in '\n') to `out`; the value only
// when `with_value`.
void AppendListingEntry(const ScanEntry& entry, bool with_value,
                        std::string& out);

// One line (without its '\n') back into an entry. kDataLoss when it is
// not an entry: not a JSON object, no key or etag, a field of the wrong
// type, or bad base64.
absl::StatusOr<ScanEntry> ParseListingEntry(std::string_view line);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_LISTING_JSON_H_
