// The parsing and formatting rules of cask's HTTP wire protocol
// (docs/protocol.md), kept apart from the server so that the libFuzzer
// targets in tests/http/ compile them alone.
//
//   ParseRequestPath     request target -> normalised key or base
//   ParsePreconditionHeaders   If-Match / If-None-Match -> Precondition
//   QuoteEtag            etag -> `"etag"` for an ETag header
//   HttpStatusFor        absl::Status -> HTTP status (SPEC §11, the only
//                        place this mapping lives)
//
// Thread safety: pure functions.
#ifndef CASK_TOOLS_SERVER_WIRE_H_
#define CASK_TOOLS_SERVER_WIRE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/precondition.h"

namespace cask::server {

struct RequestPath {
  // The normalised key (or base; "" = everything when is_base).
  std::string key;
  // The path ended in `/` or `:`: it names a base (listing, clear).
  bool is_base = false;
};

// Maps a request target (`/a/b%20c:d?x=1`) to a key the way unstorage does:
// the query string is ignored; `/` and `:` separate segments; each segment
// is percent-decoded exactly once; the result is normalised with
// cask/key.h, so `.` / `..` segments (also percent-encoded), NUL bytes and
// empty keys are kInvalidArgument. A key longer than `max_key_bytes` after
// normalisation is kInvalidArgument too.
absl::StatusOr<RequestPath> ParseRequestPath(std::string_view target,
                                             std::size_t max_key_bytes);

// Parses the If-Match and If-None-Match header values (nullopt: header
// absent; several header lines are joined with ", " by the caller) per
// RFC 9110 §13.1.1-2: `*` or a comma-separated list of entity tags
// `"x"` / `W/"x"`. A present but empty, unquoted, or otherwise malformed
// header, or `*` mixed with tags, is kInvalidArgument: a precondition is
// never ignored. Weak tags become "W/x" (cask's unquoted form).
absl::StatusOr<Precondition> ParsePreconditionHeaders(
    const std::optional<std::string_view>& if_match,
    const std::optional<std::string_view>& if_none_match);

// `"etag"`, or `W/"x"` for a weak "W/x".
std::string QuoteEtag(std::string_view etag);

// The one mapping from a status to an HTTP status code (SPEC §11):
// OK 200, kNotFound 404, kInvalidArgument 400, kAborted 412,
// kUnimplemented 501, kUnavailable 503, kResourceExhausted 413 (507 when
// the message says the disk is full), kOutOfRange 410, kDataLoss 500,
// kUnknown 502, kUnauthenticated 401, kPermissionDenied 403,
// kDeadlineExceeded 504, kAlreadyExists / kFailedPrecondition 409,
// anything else 500.
int HttpStatusFor(const absl::Status& status);

// The reason phrase for `http_status` ("Precondition Failed").
std::string_view ReasonPhrase(int http_status);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_WIRE_H_
