// The one place where the etcd adapter turns etcd's HTTP and gRPC failures
// into cask status codes (docs/errors.md); transport failures are
// translated by the shared transport (adapters/http_transport). Internal.
#ifndef CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_
#define CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cask::etcd_internal {

// etcd answered `what` with HTTP `http_status` and `body` (the gateway's
// {"error","code","message"} JSON, or anything else).
absl::Status ServerError(std::string_view what, long http_status,
                         std::string_view body, bool is_write);

// The reply could not be understood.
absl::Status MalformedReply(std::string_view what, std::string_view detail);

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_ERRORS_H_
