#include "feed_json.h"

#include <utility>

#include "nlohmann/json.hpp"

namespace cask::http_protocol {

using Json = nlohmann::json;

std::string FeedJson(const Feed& feed) {
  Json list = Json::array();
  for (const ChangeEvent& e : feed.events) {
    list.push_back({{"revision", e.revision},
                    {"key", e.key},
                    {"kind", std::string(ChangeKindName(e.kind))},
                    {"etag", e.etag},
                    {"time_us", absl::ToUnixMicros(e.time)},
                    {"size", e.size}});
  }
  Json body = {{"events", std::move(list)},
               {"last_revision", feed.last_revision}};
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<Feed> ParseFeedJson(std::string_view body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("events") ||
      !doc["events"].is_array()) {
    return absl::DataLossError("http changes: answer is not understood");
  }
  Feed feed;
  try {
    for (const Json& j : doc["events"]) {
      ChangeEvent e;
      e.revision = j.value("revision", std::uint64_t{0});
      e.key = j.value("key", std::string());
      std::string kind = j.value("kind", std::string());
      for (ChangeKind k : {ChangeKind::kPut, ChangeKind::kDelete,
                           ChangeKind::kExpire, ChangeKind::kClear}) {
        if (ChangeKindName(k) == kind) e.kind = k;
      }
      e.etag = j.value("etag", std::string());
      e.time = absl::FromUnixMicros(j.value("time_us", std::int64_t{0}));
      e.size = j.value("size", std::uint64_t{0});
      feed.last_revision = std::max(feed.last_revision, e.revision);
      feed.events.push_back(std::move(e));
    }
    feed.last_revision = std::max(
        feed.last_revision, doc.value("last_revision", feed.last_revision));
  } catch (const Json::exception& e) {
    // A field of the wrong type (value() throws on a type mismatch).
    return absl::DataLossError(
        std::string("http changes: answer is not understood: ") + e.what());
  }
  return feed;
}

}  // namespace cask::http_protocol
