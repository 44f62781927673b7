// The change feed's answer (POST /_cask/changes, docs/protocol.md):
//   {"events":[{"revision":7,"key":"a:b","kind":"put","etag":"e",
//               "time_us":1700000000000000,"size":3,
//               "value_b64":"YWJj"}, ...],   (value_b64 when asked for)
//    "last_revision":7}
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_FEED_JSON_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_FEED_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/types.h"

namespace cask::http_protocol {

struct Feed {
  std::vector<ChangeEvent> events;
  // The revision to ask after next time: the last event's, or the `after`
  // of the request when there were none.
  std::uint64_t last_revision = 0;
};

// The JSON text of `feed` (invalid UTF-8 in keys is replaced).
std::string FeedJson(const Feed& feed);

// Parses an answer. kDataLoss when it is not a feed.
absl::StatusOr<Feed> ParseFeedJson(std::string_view body);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_FEED_JSON_H_
