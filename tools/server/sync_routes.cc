#include "sync_routes.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cask/sync.h"
#include "nlohmann/json.hpp"

namespace cask::server {
namespace {

using Json = nlohmann::json;

// Whether `s` is well-formed UTF-8 (so it can travel as a JSON string).
bool IsUtf8(std::string_view s) {
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not
    // UTF-8.
    if (cp < kSmallest[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> Peers(Driver& store,
                                               std::string_view only) {
  absl::StatusOr<std::vector<std::string>> peers = SyncPeers(store);
  if (!peers.ok() || only.empty()) return peers;
  std::vector<std::string> out;
  for (std::string& p : *peers) {
    if (p == only) out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Etags(const Json& v,
                                               const char* field) {
  std::vector<std::string> tags;
  if (v.is_string()) {
    tags.push_back(v.get<std::string>());
    return tags;
  }
  if (v.is_array()) {
    for (const Json& t : v) {
      if (!t.is_string()) break;
      tags.push_back(t.get<std::string>());
    }
    if (tags.size() == v.size()) return tags;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", field, "\" must be a string or an array of strings"));
}

std::string StringField(const Json& doc, const char* field) {
  auto it = doc.find(field);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

absl::StatusOr<std::string> SyncConflictsJson(Driver& store,
                                              std::string_view peer) {
  absl::StatusOr<std::vector<std::string>> peers = Peers(store, peer);
  if (!peers.ok()) return peers.status();
  Json list = Json::array();
  for (const std::string& p : *peers) {
    absl::StatusOr<std::vector<SyncConflict>> conflicts =
        ListSyncConflicts(store, p);
    if (!conflicts.ok()) return conflicts.status();
    for (const SyncConflict& c : *conflicts) {
      Json item = {{"peer", p},
                   {"key", c.key},
                   {"remote_exists", c.remote_exists},
                   {"remote_etag", c.remote_etag},
                   {"reason", c.reason},
                   {"detected_us", absl::ToUnixMicros(c.detected)}};
      if (c.remote_exists) {
        if (IsUtf8(c.remote_value)) {
          item["remote_value"] = c.remote_value;
        } else {
          item["remote_value_base64"] = absl::Base64Escape(c.remote_value);
        }
      }
      list.push_back(std::move(item));
    }
  }
  return Json{{"conflicts", std::move(list)}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::string> ResolveSyncConflictJson(Driver& store,
                                                    std::string_view body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        "resolve body must be a JSON object {\"key\": .., \"keep\": ..}");
  }
  std::string key = StringField(doc, "key");
  std::string keep = StringField(doc, "keep");
  if (key.empty()) {
    return absl::InvalidArgumentError("resolve needs a string \"key\"");
  }
  Resolution how;
  if (keep == "local") {
    how = Resolution::kKeepLocal;
  } else if (keep == "remote") {
    how = Resolution::kKeepRemote;
  } else if (keep == "merged") {
    how = Resolution::kMerged;
  } else {
    return absl::InvalidArgumentError(
        "\"keep\" must be \"local\", \"remote\" or \"merged\"");
  }
  std::optional<std::string> merged;
  std::optional<Precondition> precondition;
  bool has_value = doc.contains("value") || doc.contains("value_base64") ||
                   doc.contains("delete");
  bool has_precondition =
      doc.contains("if_match") || doc.contains("if_none_match");
  if (how != Resolution::kMerged && (has_value || has_precondition)) {
    return absl::InvalidArgumentError(
        "a value or precondition goes only with \"keep\": \"merged\"");
  }
  if (how == Resolution::kMerged) {
    if (doc.contains("value_base64")) {
      std::string value;
      if (!doc["value_base64"].is_string() ||
          !absl::Base64Unescape(doc["value_base64"].get<std::string>(),
                                &value)) {
        return absl::InvalidArgumentError("\"value_base64\" is not base64");
      }
      merged = std::move(value);
    } else if (doc.contains("value") && doc["value"].is_string()) {
      merged = doc["value"].get<std::string>();
    } else if (!(doc.contains("delete") && doc["delete"] == true)) {
      return absl::InvalidArgumentError(
          "\"keep\": \"merged\" needs \"value\", \"value_base64\" or "
          "\"delete\": true");
    }
    if (has_precondition) {
      Precondition p;
      for (const char* side : {"if_match", "if_none_match"}) {
        if (!doc.contains(side)) continue;
        absl::StatusOr<std::vector<std::string>> tags = Etags(doc[side], side);
        if (!tags.ok()) return tags.status();
        (std::string_view(side) == "if_match" ? p.if_match : p.if_none_match) =
            *std::move(tags);
      }
      precondition = std::move(p);
    }
  }
  absl::StatusOr<std::vector<std::string>> peers =
      Peers(store, StringField(doc, "peer"));
  if (!peers.ok()) return peers.status();
  Json settled = Json::array();
  for (const std::string& p : *peers) {
    absl::Status s =
        ResolveSyncConflict(store, p, key, how, merged, precondition);
    if (s.code() == absl::StatusCode::kNotFound) continue;
    if (!s.ok()) return s;
    settled.push_back(p);
  }
  if (settled.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no sync conflict on key \"", key, "\""));
  }
  return Json{{"key", key}, {"peers", std::move(settled)}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace cask::server
