// The http adapter's one translation of transport and HTTP errors into
// cask status codes (SPEC §11, read backwards).
#ifndef CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_
#define CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_

#include <curl/curl.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cask::http_internal {

// A libcurl failure of `what` (e.g. `PUT "a:b"`). `write`: the request
// changes the store; `sent`: some of the request reached the socket. A
// write that may have reached the server is kUnknown (outcome unknown);
// anything that never left, or a read, is kUnavailable.
absl::Status StatusFromCurl(CURLcode code, const char* error_buffer,
                            std::string_view what, bool write, bool sent);

// A non-2xx answer. `body` is the server's JSON error (cask serve names
// the absl code in "code", which wins); otherwise the HTTP status decides.
// A 412 for a single key becomes CasMismatchError(key, current etag), one
// for a commit CommitConflictError(conflicts) (`key` empty).
absl::Status StatusFromHttp(long http_status, std::string_view body,
                            std::string_view what, std::string_view key,
                            bool write);

}  // namespace cask::http_internal

#endif  // CASK_ADAPTERS_HTTP_HTTP_ERRORS_H_
