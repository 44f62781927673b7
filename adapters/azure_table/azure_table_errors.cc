#include "azure_table_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "nlohmann/json.hpp"

namespace cask::aztable {
namespace {

std::string ErrorMessage(const objstore::HttpResponse& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("odata.error")) {
    const nlohmann::json& e = body["odata.error"];
    if (e.contains("message") && e["message"].contains("value") &&
        e["message"]["value"].is_string()) {
      return e["message"]["value"].get<std::string>();
    }
  }
  return "";
}

}  // namespace

std::string ErrorCode(const objstore::HttpResponse& response) {
  std::string code = response.Header("x-ms-error-code");
  if (!code.empty()) return code;
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("odata.error") &&
      body["odata.error"].contains("code") &&
      body["odata.error"]["code"].is_string()) {
    return body["odata.error"]["code"].get<std::string>();
  }
  return "";
}

WriteVerdict ClassifyWrite(const objstore::HttpResponse& response,
                           bool sent_if_match) {
  if (response.status >= 200 && response.status < 300) return WriteVerdict::kOk;
  std::string code = ErrorCode(response);
  if (response.status == 412) return WriteVerdict::kConditionFailed;
  if (response.status == 409 && code == "EntityAlreadyExists") {
    return WriteVerdict::kConditionFailed;
  }
  if (response.status == 404 && code != "TableNotFound") {
    return sent_if_match ? WriteVerdict::kConditionFailed
                         : WriteVerdict::kAbsent;
  }
  return WriteVerdict::kError;
}

absl::Status AzureTableError(std::string_view op, std::string_view key,
                             const objstore::HttpResponse& response,
                             bool is_write) {
  std::string code = ErrorCode(response);
  std::string message = ErrorMessage(response);
  std::string text = absl::StrCat("azure table ", ToAbsl(op), " \"",
                                  ToAbsl(key), "\": HTTP ", response.status,
                                  " ", code.empty() ? "(no error code)" : code,
                                  message.empty() ? "" : ": ", message);
  const long s = response.status;
  if (s == 413 || code == "EntityTooLarge" || code == "PropertyValueTooLarge" ||
      code == "RequestBodyTooLarge") {
    return absl::ResourceExhaustedError(text);
  }
  if (s == 403) return absl::PermissionDeniedError(text);
  if (s == 404 && code == "TableNotFound")
    return absl::FailedPreconditionError(text);
  if (s == 409 || s == 429 || s == 503) {
    return absl::UnavailableError(
        absl::StrCat(text, " (nothing applied; retry may help)"));
  }
  if (s >= 500) {
    if (is_write) {
      return absl::UnknownError(absl::StrCat(
          text,
          " (server error after the write was sent: the outcome is unknown)"));
    }
    return absl::UnavailableError(text);
  }
  if (s >= 400) return absl::InvalidArgumentError(text);
  return absl::InternalError(absl::StrCat(text, " (unexpected answer)"));
}

}  // namespace cask::aztable
