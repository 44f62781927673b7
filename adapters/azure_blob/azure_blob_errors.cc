#include "azure_blob_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"
#include "error_status.h"
#include "xml_document.h"

namespace cask::azblob {

std::string ErrorCode(const transport::HttpResponse& response) {
  std::string code = response.Header("x-ms-error-code");
  return code.empty() ? objstore::XmlErrorField(response.body, "Code") : code;
}

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
                           bool sent_if_match) {
  if (response.status >= 200 && response.status < 300) return WriteVerdict::kOk;
  std::string code = ErrorCode(response);
  if (response.status == 412) return WriteVerdict::kConditionFailed;
  // Azure answers If-None-Match: * on an existing blob with 409.
  if (response.status == 409 && code == "BlobAlreadyExists") {
    return WriteVerdict::kConditionFailed;
  }
  if (response.status == 404 && code == "BlobNotFound") {
    return sent_if_match ? WriteVerdict::kConditionFailed
                         : WriteVerdict::kAbsent;
  }
  return WriteVerdict::kError;
}

absl::Status AzureBlobError(std::string_view op, std::string_view key,
                            const transport::HttpResponse& response,
                            bool is_write) {
  std::string code = ErrorCode(response);
  std::string message = objstore::XmlErrorField(response.body, "Message");
  return objstore::ErrorStatus(
      op, key, {"azure blob", response.status, code, message},
      {"RequestBodyTooLarge"}, "ContainerNotFound", is_write);
}

absl::Status MalformedAnswer(std::string_view op, std::string_view key,
                             const absl::Status& parse_error) {
  return absl::InternalError(absl::StrCat(
      "azure blob ", ToAbsl(op), " ", QuoteForMessage(key), ": ",
      EscapeForMessage(ToStd(parse_error.message()), kMaxBackendTextBytes)));
}

}  // namespace cask::azblob
