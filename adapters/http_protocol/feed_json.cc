#include "feed_json.h"

#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"

namespace cask::http_protocol {

using Json = nlohmann::json;

namespace {

// An integer field of an event, `fallback` when absent. nlohmann turns a
// JSON float into an integer with a plain cast, undefined when out of
// range, so a number that is not an integer is refused (nullopt).
template <typename T>
std::optional<T> IntegerField(const Json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

std::string FeedJson(const Feed& feed) {
  Json list = Json::array();
  for (const ChangeEvent& e : feed.events) {
    list.push_back({{"revision", e.revision},
                    {"key", e.key},
                    {"kind", std::string(ChangeKindName(e.kind))},
                    {"etag", e.etag},
                    {"time_us", absl::ToUnixMicros(e.time)},
                    {"size", e.size}});
    if (e.value) list.back()["value_b64"] = absl::Base64Escape(*e.value);
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
      std::optional<std::uint64_t> revision =
          IntegerField(j, "revision", std::uint64_t{0});
      std::optional<std::int64_t> time_us =
          IntegerField(j, "time_us", std::int64_t{0});
      std::optional<std::uint64_t> size =
          IntegerField(j, "size", std::uint64_t{0});
      if (!revision || !time_us || !size) {
        return absl::DataLossError(
            "http changes: an event's revision, time_us or size is not an "
            "integer");
      }
      e.revision = *revision;
      e.key = j.value("key", std::string());
      std::string kind = j.value("kind", std::string());
      for (ChangeKind k : {ChangeKind::kPut, ChangeKind::kDelete,
                           ChangeKind::kExpire, ChangeKind::kClear}) {
        if (ChangeKindName(k) == kind) e.kind = k;
      }
      e.etag = j.value("etag", std::string());
      e.time = absl::FromUnixMicros(*time_us);
      e.size = *size;
      if (auto v = j.find("value_b64"); v != j.end()) {
        std::string value;
        if (!v->is_string() ||
            !absl::Base64Unescape(v->get<std::string>(), &value)) {
          return absl::DataLossError(
              "http changes: an event's value_b64 is not base64");
        }
        e.value = std::move(value);
      }
      feed.last_revision = std::max(feed.last_revision, e.revision);
      feed.events.push_back(std::move(e));
    }
    std::optional<std::uint64_t> last =
        IntegerField(doc, "last_revision", feed.last_revision);
    if (!last) {
      return absl::DataLossError(
          "http changes: last_revision is not an integer");
    }
    feed.last_revision = std::max(feed.last_revision, *last);
  } catch (const Json::exception& e) {
    // A field of the wrong type (value() throws on a type mismatch).
    return absl::DataLossError(
        std::string("http changes: answer is not understood: ") + e.what());
  }
  return feed;
}

}  // namespace cask::http_protocol
