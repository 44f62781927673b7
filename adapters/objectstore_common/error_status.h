// The HTTP-status → cask code table shared by the object-store adapters'
// error files (s3_errors.cc, azure_blob_errors.cc, azure_table_errors.cc).
// Each adapter extracts its service's error code and message and names
// which codes mean "too large" and "no such bucket / container / table";
// the rest of the mapping is the same for all three and lives here, with
// the "key not found" status their reads return.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_ERROR_STATUS_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_ERROR_STATUS_H_

#include <initializer_list>
#include <string_view>

#include "absl/status/status.h"

namespace cask::objstore {

// One error answer, as the adapter decoded it.
struct ErrorAnswer {
  std::string_view store;    // message prefix: "s3", "azure blob", ...
  long status = 0;           // the HTTP status
  std::string_view code;     // the service's error code, or ""
  std::string_view message;  // the service's error message, or ""
};

// The status for `answer` to `op` on `key`. The text is
// `<store> <op> "<key>": HTTP <status> <code>[: <message>]` (the key quoted,
// the service's code and message escaped and capped: cask/quote.h), and:
//   413 or a code in `too_large_codes`     kResourceExhausted
//   403                                    kPermissionDenied
//   404 with `missing_container_code`      kFailedPrecondition
//   409, 429, 503                          kUnavailable (nothing applied)
//   other 5xx                              kUnknown when `is_write` (the
//                                          outcome is unknown), else
//                                          kUnavailable
//   other 4xx                              kInvalidArgument
//   anything else                          kInternal (unexpected answer)
absl::Status ErrorStatus(
    std::string_view op, std::string_view key, const ErrorAnswer& answer,
    std::initializer_list<std::string_view> too_large_codes,
    std::string_view missing_container_code, bool is_write);

// kNotFound: `<store>: key "<key>" not found`.
absl::Status KeyNotFound(std::string_view store, std::string_view key);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_ERROR_STATUS_H_
