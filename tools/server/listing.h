// Key listings of `cask serve` (GET /base/, docs/protocol.md, "Listings"):
//   GET /base/                      unstorage's plain listing: a JSON array
//                                   of keys with `/` separators, `key$`
//                                   meta entries left out
//   GET /base/?limit=N&after=K      a page: the keys after K, at most N,
//                                   still a JSON array (every key)
//   ...&meta=1 / &values=1          the page as entries with metadata (and
//                                   values), one JSON object per line
// A page of exactly N entries may continue: ask again with after= its
// last key; fewer than N means the listing is complete.
//
// Every listing reads the store page by page through Driver::Scan and
// streams its answer, so the server holds one page whatever the store's
// size; an answer that fits in one page is sent whole with a
// Content-Length, as before. A store that cannot scan answers the plain
// listing from Keys() (in memory, as before) and a page with its 501.
//
// Thread safety: pure functions over a thread-safe Driver; the stream of
// one answer is used by one thread at a time.
#ifndef CASK_TOOLS_SERVER_LISTING_H_
#define CASK_TOOLS_SERVER_LISTING_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api.h"
#include "cask/driver.h"

namespace cask::server {

// The answer to GET of normalised base `base`; `target` carries the query
// parameters. kInvalidArgument for a malformed parameter (limit not a
// positive integer, a bad after key, meta / values not 0, 1, true or
// false); the store's error when its first page fails.
absl::StatusOr<ApiResponse> ListingAnswer(std::shared_ptr<Driver> store,
                                          const std::string& base,
                                          std::string_view target);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_LISTING_H_
