#include "s3_errors.h"

#include "error_status.h"
#include "xml_text.h"

namespace cask::s3 {

WriteVerdict ClassifyWrite(const objstore::HttpResponse& response,
                           bool sent_if_match) {
  if (response.status >= 200 && response.status < 300) return WriteVerdict::kOk;
  if (response.status == 412) return WriteVerdict::kConditionFailed;
  std::string code = objstore::XmlElement(response.body, "Code");
  // AWS (and moto) answer If-Match on a missing key with 404 NoSuchKey,
  // not 412: the precondition failed all the same.
  if (response.status == 404 && sent_if_match && code != "NoSuchBucket") {
    return WriteVerdict::kConditionFailed;
  }
  if (response.status == 409 && code == "ConditionalRequestConflict") {
    return WriteVerdict::kConflict;
  }
  return WriteVerdict::kError;
}

absl::Status S3Error(std::string_view op, std::string_view key,
                     const objstore::HttpResponse& response, bool is_write) {
  std::string code = objstore::XmlElement(response.body, "Code");
  std::string message = objstore::XmlElement(response.body, "Message");
  return objstore::ErrorStatus(op, key, {"s3", response.status, code, message},
                               {"EntityTooLarge"}, "NoSuchBucket", is_write);
}

}  // namespace cask::s3
