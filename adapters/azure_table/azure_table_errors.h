// The one place where Azure Table answers become cask status codes.
#ifndef CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_ERRORS_H_
#define CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "object_http.h"

namespace cask::aztable {

// The service's error code (x-ms-error-code, else the JSON body's
// odata.error.code).
std::string ErrorCode(const transport::HttpResponse& response);

enum class WriteVerdict {
  kOk,               // 2xx
  kConditionFailed,  // 409 EntityAlreadyExists (insert), 412 (If-Match), or
                     // 404 ResourceNotFound under If-Match: a CAS mismatch
  kAbsent,           // 404 ResourceNotFound of an unconditional delete: done
  kError,            // see AzureTableError
};

WriteVerdict ClassifyWrite(const transport::HttpResponse& response,
                           bool sent_if_match);

// The status for an error answer to `op` on `key` (code and message kept):
//   400 EntityTooLarge, PropertyValueTooLarge, 413  kResourceExhausted
//   403                                          kPermissionDenied
//   404 TableNotFound                            kFailedPrecondition
//   409 (other), 429, 503                        kUnavailable
//   500 and other 5xx                            kUnknown for writes,
//                                                kUnavailable for reads
//   other 4xx                                    kInvalidArgument
absl::Status AzureTableError(std::string_view op, std::string_view key,
                             const transport::HttpResponse& response,
                             bool is_write);

}  // namespace cask::aztable

#endif  // CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_ERRORS_H_
