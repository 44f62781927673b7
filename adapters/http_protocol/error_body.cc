#include "error_body.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "nlohmann/json.hpp"
#include "status_mapping.h"

namespace cask::http_protocol {
namespace {

using Json = nlohmann::json;

std::optional<std::string> OptString(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return std::nullopt;
  return j[field].get<std::string>();
}

}  // namespace

std::string ErrorBody(const absl::Status& status, int http_status) {
  Json body = {{"status", http_status},
               {"statusCode", http_status},
               {"statusMessage", std::string(ReasonPhrase(http_status))},
               {"message", std::string(status.message())},
               {"code", absl::StatusCodeToString(status.code())}};
  if (status.code() == absl::StatusCode::kAborted) {
    std::optional<std::string> current = CurrentEtag(status);
    body["current_etag"] = current ? Json(*current) : Json(nullptr);
    Json list = Json::array();
    for (const Conflict& c : Conflicts(status)) {
      list.push_back({{"key", c.key},
                      {"expected", c.expected},
                      {"actual", c.actual ? Json(*c.actual) : Json(nullptr)}});
    }
    body["conflicts"] = std::move(list);
  }
  // Keys are bytes and JSON text is UTF-8: invalid sequences are replaced.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status StatusFromErrorBody(long http_status, std::string_view body,
                                 std::string_view what, std::string_view key,
                                 bool write) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr,
                         /*allow_exceptions=*/false);
  bool json = !doc.is_discarded() && doc.is_object();
  absl::StatusCode code = CodeForHttpStatus(http_status, write);
  std::string message;
  if (json) {
    if (std::optional<std::string> name = OptString(doc, "code")) {
      if (std::optional<absl::StatusCode> c = CodeFromName(*name)) code = *c;
    }
    message = OptString(doc, "message")
                  .value_or(OptString(doc, "statusMessage").value_or(""));
  }
  if (message.empty()) message = std::string(body.substr(0, 200));
  if (code == absl::StatusCode::kAborted) {
    std::vector<Conflict> conflicts;
    if (json && doc.contains("conflicts") && doc["conflicts"].is_array()) {
      for (const Json& c : doc["conflicts"]) {
        if (!c.is_object()) continue;
        conflicts.push_back(Conflict{OptString(c, "key").value_or(""),
                                     OptString(c, "expected").value_or(""),
                                     OptString(c, "actual")});
      }
    }
    if (key.empty() && !conflicts.empty()) {
      return CommitConflictError(conflicts);
    }
    std::optional<std::string> current =
        json ? OptString(doc, "current_etag") : std::nullopt;
    return CasMismatchError(key, current);
  }
  // The server's words, escaped and capped: a broken or hostile server
  // cannot put control bytes or megabytes into the caller's message.
  return absl::Status(
      code, absl::StrCat("http ", ToAbsl(what), ": HTTP ", http_status, ": ",
                         EscapeForMessage(message, kMaxBackendTextBytes)));
}

}  // namespace cask::http_protocol
