#include "azure_blob_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "xml_text.h"

namespace cask::azblob {

std::string ErrorCode(const objstore::HttpResponse& response) {
  std::string code = response.Header("x-ms-error-code");
  return code.empty() ? objstore::XmlElement(response.body, "Code") : code;
}

WriteVerdict ClassifyWrite(const objstore::HttpResponse& response,
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
                            const objstore::HttpResponse& response,
                            bool is_write) {
  std::string code = ErrorCode(response);
  std::string message = objstore::XmlElement(response.body, "Message");
  std::string text = absl::StrCat("azure blob ", ToAbsl(op), " \"", ToAbsl(key),
                                  "\": HTTP ", response.status, " ",
                                  code.empty() ? "(no error code)" : code,
                                  message.empty() ? "" : ": ", message);
  const long s = response.status;
  if (s == 413 || code == "RequestBodyTooLarge")
    return absl::ResourceExhaustedError(text);
  if (s == 403) return absl::PermissionDeniedError(text);
  if (s == 404 && code == "ContainerNotFound")
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

}  // namespace cask::azblob
