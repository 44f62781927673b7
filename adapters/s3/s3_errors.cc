#include "s3_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"
#include "error_status.h"
#include "xml_document.h"

namespace cask::s3 {

std::string ErrorCode(const transport::HttpResponse& response) {
  return objstore::XmlErrorField(response.body, "Code");
}

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
                           bool sent_if_match) {
  if (response.status >= 200 && response.status < 300) return WriteVerdict::kOk;
  if (response.status == 412) return WriteVerdict::kConditionFailed;
  std::string code = ErrorCode(response);
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
                     const transport::HttpResponse& response, bool is_write) {
  std::string code = ErrorCode(response);
  std::string message = objstore::XmlErrorField(response.body, "Message");
  return objstore::ErrorStatus(op, key, {"s3", response.status, code, message},
                               {"EntityTooLarge"}, "NoSuchBucket", is_write);
}

absl::Status MalformedAnswer(std::string_view op, std::string_view key,
                             const absl::Status& parse_error) {
  return absl::InternalError(absl::StrCat(
      "s3 ", ToAbsl(op), " ", QuoteForMessage(key), ": ",
      EscapeForMessage(ToStd(parse_error.message()), kMaxBackendTextBytes)));
}

}  // namespace cask::s3
