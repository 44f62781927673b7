#include "etcd_errors.h"

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::etcd_internal {

absl::Status ServerError(std::string_view what, long http_status,
                         std::string_view body, bool is_write) {
  std::string message;
  int code = -1;
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    if (j.contains("message") && j["message"].is_string()) {
      message = j["message"].get<std::string>();
    } else if (j.contains("error") && j["error"].is_string()) {
      message = j["error"].get<std::string>();
    }
    if (j.contains("code") && j["code"].is_number_integer()) {
      code = j["code"].get<int>();
    }
  } catch (const nlohmann::json::exception&) {
    message = std::string(body.substr(0, 200));
  }
  // etcd's words, escaped and capped (a proxy in front of etcd may answer
  // anything); the classification below reads them unescaped.
  std::string text =
      absl::StrCat("etcd: ", ToAbsl(what), ": HTTP ", http_status, ": ",
                   EscapeForMessage(message, kMaxBackendTextBytes));
  // etcd's own words for "the proposal may or may not have been applied".
  const bool maybe_applied = absl::StrContains(message, "timed out") ||
                             absl::StrContains(message, "leader changed");
  if (is_write && (maybe_applied || code == 4 /* DEADLINE_EXCEEDED */)) {
    return absl::UnknownError(absl::StrCat(text, " (the outcome is unknown)"));
  }
  if (absl::StrContains(message, "request is too large") ||
      absl::StrContains(message, "too many operations in txn")) {
    return absl::ResourceExhaustedError(text);
  }
  if (absl::StrContains(message, "database space exceeded")) {
    return absl::ResourceExhaustedError(text);
  }
  // The gateway reports gRPC codes, whose numbering absl shares.
  if (code > 0 && code <= 16) {
    return absl::Status(static_cast<absl::StatusCode>(code), text);
  }
  if (http_status >= 500) {
    return is_write ? absl::UnknownError(
                          absl::StrCat(text, " (the outcome is unknown)"))
                    : absl::UnavailableError(text);
  }
  return absl::InternalError(text);
}

absl::Status MalformedReply(std::string_view what, std::string_view detail) {
  return absl::InternalError(
      absl::StrCat("etcd: unexpected reply to ", ToAbsl(what), ": ",
                   EscapeForMessage(detail, kMaxBackendTextBytes)));
}

}  // namespace cask::etcd_internal
