// The one place where Azure Blob answers become cask status codes.
#ifndef CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_ERRORS_H_
#define CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "object_http.h"

namespace cask::azblob {

// The service's error code (x-ms-error-code, else the XML body's <Code>).
std::string ErrorCode(const transport::HttpResponse& response);

enum class WriteVerdict {
  kOk,               // 2xx
  kConditionFailed,  // 412 ConditionNotMet, 409 BlobAlreadyExists, or 404
                     // BlobNotFound under If-Match: a CAS mismatch
  kAbsent,           // 404 BlobNotFound without If-Match (a delete: done)
  kError,            // see AzureBlobError
};

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
                           bool sent_if_match);

// The status for an error answer to `op` on `key` (code and message kept):
//   413 RequestBodyTooLarge        kResourceExhausted
//   403                            kPermissionDenied
//   404 ContainerNotFound          kFailedPrecondition
//   409 (other), 429, 503          kUnavailable (nothing applied)
//   500 and other 5xx              kUnknown for writes, kUnavailable for reads
//   other 4xx                      kInvalidArgument
absl::Status AzureBlobError(std::string_view op, std::string_view key,
                            const transport::HttpResponse& response,
                            bool is_write);

// An answer to `op` on `key` that is not the XML expected (kInternal,
// with the parser's reason).
absl::Status MalformedAnswer(std::string_view op, std::string_view key,
                             const absl::Status& parse_error);

}  // namespace cask::azblob

#endif  // CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_ERRORS_H_
