#include "azure_blob_errors.h"

#include "error_status.h"
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
  return objstore::ErrorStatus(
      op, key, {"azure blob", response.status, code, message},
      {"RequestBodyTooLarge"}, "ContainerNotFound", is_write);
}

}  // namespace cask::azblob
