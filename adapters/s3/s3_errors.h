// The one place where S3 answers become cask status codes.
#ifndef CASK_ADAPTERS_S3_S3_ERRORS_H_
#define CASK_ADAPTERS_S3_S3_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "object_http.h"

namespace cask::s3 {

// The S3 error code of an error answer (<Error><Code>), "" when the body
// has none (HEAD answers, non-XML bodies).
std::string ErrorCode(const transport::HttpResponse& response);

// What a conditional PUT / DELETE answer means.
enum class WriteVerdict {
  kOk,               // 2xx
  kConditionFailed,  // 412, or 404 NoSuchKey under If-Match: a CAS mismatch
  kConflict,         // 409 ConditionalRequestConflict: retry, bounded
  kError,            // anything else: see S3Error
};

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
                           bool sent_if_match);

// The status for an S3 error answer to `op` on `key` (the S3 error code and
// message are kept in the text):
//   400 EntityTooLarge / 413      kResourceExhausted
//   400 KeyTooLongError, other 4xx kInvalidArgument
//   403                            kPermissionDenied
//   404 NoSuchBucket               kFailedPrecondition
//   409 ConditionalRequestConflict kUnavailable (after the bounded retries)
//   429, 503 SlowDown              kUnavailable (nothing applied)
//   500 and other 5xx              kUnknown for writes (outcome unknown),
//                                  kUnavailable for reads
absl::Status S3Error(std::string_view op, std::string_view key,
                     const transport::HttpResponse& response, bool is_write);

// An answer to `op` on `key` that is not the XML expected (kInternal,
// with the parser's reason).
absl::Status MalformedAnswer(std::string_view op, std::string_view key,
                             const absl::Status& parse_error);

}  // namespace cask::s3

#endif  // CASK_ADAPTERS_S3_S3_ERRORS_H_
