// The JSON error body of every non-2xx answer of `cask serve`: the fields
// unstorage's server (h3) sends, plus cask's `code` naming the absl code
// and, on a 412, the conflicts (docs/protocol.md):
//   {"status":412,"statusCode":412,"statusMessage":"Precondition Failed",
//    "message":"...","code":"ABORTED","current_etag":"e1"|null,
//    "conflicts":[{"key":..,"expected":..,"actual":..|null}]}
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_ERROR_BODY_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_ERROR_BODY_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cask::http_protocol {

// The body for `status`, answered with `http_status`.
// REQUIRES: !status.ok().
std::string ErrorBody(const absl::Status& status, int http_status);

// The status an answer `http_status` with `body` stands for. The body's
// `code` wins over the HTTP status; a body that is not JSON is quoted (its
// first 200 bytes) in the message. A 412 for one key becomes
// CasMismatchError(key, current etag); one for a commit (`key` empty, the
// body lists conflicts) CommitConflictError(conflicts). `what` names the
// request in messages (`PUT "a:b"`); `write` as in CodeForHttpStatus.
absl::Status StatusFromErrorBody(long http_status, std::string_view body,
                                 std::string_view what, std::string_view key,
                                 bool write);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_ERROR_BODY_H_
