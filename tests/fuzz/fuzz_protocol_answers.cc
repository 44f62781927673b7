// libFuzzer target: what the http adapter parses from a server's answer
// (adapters/http_protocol): the error body, the feed JSON, a listing
// entry, the capability and metadata headers, and an ETag header.
// Arbitrary bytes must give a status or a value, never a crash; a parsed
// feed or listing entry re-encodes and parses back to the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "capabilities_header.h"
#include "error_body.h"
#include "etag_header.h"
#include "feed_json.h"
#include "listing_json.h"
#include "meta_headers.h"

namespace hp = cask::http_protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  long http = size > 0 ? 400 + data[0] % 120 : 500;
  absl::Status s = hp::StatusFromErrorBody(http, in, "fuzz", "", size % 2);
  if (s.ok()) std::abort();  // an error answer is never OK
  absl::StatusOr<hp::Feed> feed = hp::ParseFeedJson(in);
  if (feed.ok()) {
    absl::StatusOr<hp::Feed> again = hp::ParseFeedJson(hp::FeedJson(*feed));
    if (!again.ok() || again->events.size() != feed->events.size() ||
        again->last_revision != feed->last_revision) {
      std::abort();
    }
  }
  absl::StatusOr<cask::ScanEntry> entry = hp::ParseListingEntry(in);
  if (entry.ok()) {
    std::string line;
    hp::AppendListingEntry(*entry, true, line);
    line.pop_back();  // the '\n'
    absl::StatusOr<cask::ScanEntry> again = hp::ParseListingEntry(line);
    if (!again.ok() || again->key != entry->key ||
        again->meta.etag != entry->meta.etag || again->value != entry->value ||
        again->meta.size != entry->meta.size) {
      std::abort();
    }
  }
  std::size_t third = size / 3;
  hp::ParseAdvertised(in.substr(0, third), in.substr(third, third),
                      in.substr(2 * third));
  hp::MetaFromHeaders(
      [&](std::string_view) -> std::optional<std::string> {
        return std::string(in);
      },
      0, absl::UnixEpoch());
  std::string unquoted = hp::UnquoteEtag(in);
  if (unquoted.size() > in.size()) std::abort();
  return 0;
}
