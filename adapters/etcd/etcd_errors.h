// The one place where the etcd adapter turns libcurl, HTTP and etcd (gRPC)
// failures into cask status codes (docs/errors.md). Internal.
#ifndef CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_
#define CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cask::etcd_internal {

// libcurl failed with `code` (curl_easy_strerror text `detail`).
// `sent`: any request byte was sent. kUnavailable when nothing was sent or
// `what` only reads; kUnknown ("outcome unknown") for a sent write.
absl::Status TransportError(std::string_view what, int code,
                            std::string_view detail, bool sent, bool is_write);

// etcd answered `what` with HTTP `http_status` and `body` (the gateway's
// {"error","code","message"} JSON, or anything else).
absl::Status ServerError(std::string_view what, long http_status,
                         std::string_view body, bool is_write);

// The reply could not be understood.
absl::Status MalformedReply(std::string_view what, std::string_view detail);

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_
