// Entity tags on the wire (RFC 9110 §8.8.3, §13.1.1-2): quoting cask's
// unquoted etags for ETag / If-Match / If-None-Match, and parsing those
// headers back. cask carries etags unquoted, a weak one as "W/x".
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_ETAG_HEADER_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_ETAG_HEADER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/precondition.h"

namespace cask::http_protocol {

// `"etag"`, or `W/"x"` for a weak "W/x".
std::string QuoteEtag(std::string_view etag);

// The inverse of QuoteEtag for an ETag response header: `"x"` -> "x",
// `W/"x"` -> "W/x"; surrounding whitespace is dropped and an unquoted value
// is returned as it is (lenient: a client reads what servers send).
std::string UnquoteEtag(std::string_view header_value);

// One If-Match / If-None-Match value: `*` -> {"*"}, or a comma-separated
// list of `"x"` / `W/"x"` -> {"x", "W/x"}. Empty list elements are allowed
// (RFC 9110 §5.6.1). kInvalidArgument, naming `header_name`, for an empty
// value, an unquoted or unterminated tag, a byte outside etagc, or `*`
// mixed with tags: a precondition is never silently dropped.
absl::StatusOr<std::vector<std::string>> ParseEtagList(
    std::string_view header_name, std::string_view value);

// Both headers (nullopt: absent; a caller joins repeated header lines with
// ", ") into a validated Precondition. kInvalidArgument as above, or when
// the result fails ValidatePrecondition.
absl::StatusOr<Precondition> ParsePreconditionHeaders(
    const std::optional<std::string_view>& if_match,
    const std::optional<std::string_view>& if_none_match);

// The header value for one side of a Precondition: {"*"} -> `*`,
// {"a", "W/b"} -> `"a", W/"b"`. REQUIRES: a valid list (ValidatePrecondition).
std::string EtagListHeaderValue(const std::vector<std::string>& tags);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_ETAG_HEADER_H_
