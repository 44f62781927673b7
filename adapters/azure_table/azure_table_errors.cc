#include "azure_table_errors.h"

#include "error_status.h"
#include "nlohmann/json.hpp"

namespace cask::aztable {
namespace {

std::string ErrorMessage(const transport::HttpResponse& response) {
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

std::string ErrorCode(const transport::HttpResponse& response) {
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

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
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
                             const transport::HttpResponse& response,
                             bool is_write) {
  std::string code = ErrorCode(response);
  std::string message = ErrorMessage(response);
  return objstore::ErrorStatus(
      op, key, {"azure table", response.status, code, message},
      {"EntityTooLarge", "PropertyValueTooLarge", "RequestBodyTooLarge"},
      "TableNotFound", is_write);
}

}  // namespace cask::aztable
