// The http adapter's one translation of the server's HTTP errors into cask
// status codes (docs/errors.md, read backwards). Transport failures are
// translated by the shared transport (adapters/http_transport).
#ifndef CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_
#define CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cask::http_internal {

// A non-2xx answer. `body` is the server's JSON error (cask serve names
// the absl code in "code", which wins); otherwise the HTTP status decides.
// A 412 for a single key becomes CasMismatchError(key, current etag), one
// for a commit CommitConflictError(conflicts) (`key` empty).
absl::Status StatusFromHttp(long http_status, std::string_view body,
                            std::string_view what, std::string_view key,
                            bool write);

}  // namespace cask::http_internal

#endif  // CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_
