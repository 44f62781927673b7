#include "http_errors.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "nlohmann/json.hpp"

namespace cask::http_internal {
namespace {

using Json = nlohmann::json;

std::optional<absl::StatusCode> CodeFromName(const std::string& name) {
  for (int c = 0; c <= 16; ++c) {
    auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return std::nullopt;
}

absl::StatusCode CodeFromHttp(long status, bool write) {
  switch (status) {
    case 400:
    case 414:
    case 431:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kFailedPrecondition;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 412:
      return absl::StatusCode::kAborted;
    case 413:
    case 507:
      return absl::StatusCode::kResourceExhausted;
    case 502:
      return absl::StatusCode::kUnknown;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      // A gateway gave up waiting: a write may have been applied.
      return write ? absl::StatusCode::kUnknown
                   : absl::StatusCode::kDeadlineExceeded;
    default:
      return status >= 500 ? absl::StatusCode::kInternal
                           : absl::StatusCode::kUnknown;
  }
}

std::optional<std::string> OptString(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return std::nullopt;
  return j[field].get<std::string>();
}

}  // namespace

absl::Status StatusFromHttp(long http_status, std::string_view body,
                            std::string_view what, std::string_view key,
                            bool write) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr,
                         /*allow_exceptions=*/false);
  bool json = !doc.is_discarded() && doc.is_object();
  absl::StatusCode code = CodeFromHttp(http_status, write);
  std::string message;
  if (json) {
    if (std::optional<std::string> name = OptString(doc, "code")) {
      if (std::optional<absl::StatusCode> c = CodeFromName(*name)) code = *c;
    }
    message = OptString(doc, "message")
                  .value_or(OptString(doc, "statusMessage").value_or(""));
  }
  if (message.empty()) {
    message = std::string(body.substr(0, 200));
  }
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
  return absl::Status(code, absl::StrCat("http ", ToAbsl(what), ": HTTP ",
                                         http_status, ": ", message));
}

}  // namespace cask::http_internal
