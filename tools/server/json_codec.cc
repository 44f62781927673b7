#include "json_codec.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "cask/quote.h"
#include "nlohmann/json.hpp"

namespace cask::server {
namespace {

using Json = nlohmann::json;

std::string DumpJson(const Json& j) {
  // Keys and values are bytes; JSON text must be UTF-8. Invalid sequences
  // are replaced (documented in docs/protocol.md).
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<std::string>> JsonEtags(const Json& op,
                                                   const char* field) {
  const Json& v = op.at(field);
  std::vector<std::string> tags;
  if (v.is_string()) {
    tags.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const Json& t : v) {
      if (!t.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", field, "\" must hold strings"));
      }
      tags.push_back(t.get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", field, "\" must be a string or an array"));
  }
  return tags;
}

}  // namespace

// Parses the commit body (docs/protocol.md) into a Batch.
absl::StatusOr<Batch> ParseBatch(std::string_view body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("ops") ||
      !doc["ops"].is_array()) {
    return absl::InvalidArgumentError(
        "commit body must be a JSON object {\"ops\": [...]}");
  }
  Batch batch;
  for (const Json& op : doc["ops"]) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() ||
        !op.contains("key") || !op["key"].is_string()) {
      return absl::InvalidArgumentError(
          "each commit op needs string fields \"op\" and \"key\"");
    }
    Precondition p;
    for (const char* side : {"if_match", "if_none_match"}) {
      if (!op.contains(side) || op[side].is_null()) continue;
      absl::StatusOr<std::vector<std::string>> tags = JsonEtags(op, side);
      if (!tags.ok()) return tags.status();
      (std::string_view(side) == "if_match" ? p.if_match : p.if_none_match) =
          *std::move(tags);
    }
    std::string kind = op["op"].get<std::string>();
    std::string key = op["key"].get<std::string>();
    if (kind == "put") {
      std::string value;
      if (op.contains("value_base64")) {
        if (!op["value_base64"].is_string() ||
            !absl::Base64Unescape(op["value_base64"].get<std::string>(),
                                  &value)) {
          return absl::InvalidArgumentError(
              absl::StrCat("key ", QuoteForMessage(key),
                           ": \"value_base64\" is not base64"));
        }
      } else if (op.contains("value") && op["value"].is_string()) {
        value = op["value"].get<std::string>();
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("put of key ", QuoteForMessage(key),
                         " needs \"value\" or \"value_base64\""));
      }
      WriteOptions options;
      options.precondition = std::move(p);
      if (op.contains("ttl")) {
        // The same range as the X-TTL header (router.cc).
        if (!op["ttl"].is_number() || !(op["ttl"].get<double>() >= 0) ||
            op["ttl"].get<double>() > 1e10) {
          return absl::InvalidArgumentError(
              absl::StrCat("key ", QuoteForMessage(key),
                           ": \"ttl\" must be a number of seconds from 0 "
                           "to 1e10"));
        }
        options.ttl = absl::Seconds(op["ttl"].get<double>());
      }
      batch.Put(key, value, std::move(options));
    } else if (kind == "delete") {
      batch.Delete(key, std::move(p));
    } else if (kind == "verify") {
      batch.Verify(key, std::move(p));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown commit op ", QuoteForMessage(kind),
                       " (put, delete or verify)"));
    }
  }
  return batch;
}

std::string CommitAnswerJson(const CommitResult& result) {
  return DumpJson({{"etags", result.etags}, {"revision", result.revision}});
}

std::string KeyListJson(const std::vector<std::string>& keys) {
  Json list = Json::array();
  for (const std::string& key : keys) {
    // unstorage hides its `key$` meta entries from listings.
    if (!key.empty() && key.back() == '$') continue;
    list.push_back(absl::StrReplaceAll(key, {{":", "/"}}));
  }
  return DumpJson(list);
}

}  // namespace cask::server
