// The parsing and formatting rules of cask's HTTP wire protocol
// (docs/protocol.md), kept apart from the server so that the libFuzzer
// targets in tests/http/ compile them alone.
//
//   ParseRequestPath     request target -> normalised key or base
// The rules both sides of the protocol share (etag headers, status mapping,
// feed JSON) live in adapters/http_protocol.
//
// Thread safety: pure functions.
#ifndef CASK_TOOLS_SERVER_WIRE_H_
#define CASK_TOOLS_SERVER_WIRE_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cask::server {

struct RequestPath {
  // The normalised key (or base; "" = everything when is_base).
  std::string key;
  // The path ended in `/` or `:`: it names a base (listing, clear).
  bool is_base = false;
};

// The origin-form path of a request target: `/a/b?x` as it is; the
// absolute form `http://host:8787/a/b?x` (RFC 9112 §3.2.2, which a server
// must accept) -> `/a/b?x`, and `http://host` -> `/`. Anything else
// (authority-form, `*`, a bare `a/b`) is kInvalidArgument.
absl::StatusOr<std::string_view> OriginFormPath(std::string_view target);

// Maps a request target (`/a/b%20c:d?x=1`, or its absolute form) to a key
// the way unstorage does:
// the query string is ignored; `/` and `:` separate segments; each segment
// is percent-decoded exactly once; the result is normalised with
// cask/key.h, so `.` / `..` segments (also percent-encoded), NUL bytes and
// empty keys are kInvalidArgument. A key longer than `max_key_bytes` after
// normalisation is kInvalidArgument too.
absl::StatusOr<RequestPath> ParseRequestPath(std::string_view target,
                                             std::size_t max_key_bytes);

// The query string of `target` (after `?`, before `#`) as name -> value,
// each percent-decoded once (`+` stays `+`). A name given twice keeps its
// last value. kInvalidArgument for a malformed percent escape.
absl::StatusOr<std::map<std::string, std::string>> ParseQuery(
    std::string_view target);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_WIRE_H_
