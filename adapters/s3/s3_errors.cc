#include "s3_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
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
  std::string text = absl::StrCat("s3 ", ToAbsl(op), " \"", ToAbsl(key),
                                  "\": HTTP ", response.status, " ",
                                  code.empty() ? "(no error code)" : code,
                                  message.empty() ? "" : ": ", message);
  const long s = response.status;
  if (s == 413 || code == "EntityTooLarge")
    return absl::ResourceExhaustedError(text);
  if (s == 403) return absl::PermissionDeniedError(text);
  if (s == 404 && code == "NoSuchBucket")
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

}  // namespace cask::s3
