// Small HTTP helpers the object-store adapters (s3, azure_blob,
// azure_table) share on top of the shared transport
// (adapters/http_transport): base64, etag unquoting, HTTP dates, object
// metadata from response headers, random names.
//
// Not part of cask's public API. Thread safety: pure functions.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_HTTP_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_HTTP_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "cask/types.h"
#include "http_transport.h"

namespace cask::objstore {

// The transport settings every object store uses: `connect_timeout`, no
// whole-request timeout (large values take long), and a transfer that
// moves no byte for 60 s is abandoned.
transport::TransportOptions TransportFor(absl::Duration connect_timeout);

// Standard base64 (with padding) and its inverse (false on bad input).
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

// Removes surrounding quotes and a weak "W/" prefix from an HTTP ETag.
std::string UnquoteEtag(std::string_view etag);

// RFC 7231 HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT") for `t`, and a
// parser for it and for ISO 8601 / RFC 3339 times; nullopt-like failure
// returns absl::InfinitePast().
std::string HttpDate(absl::Time t);
absl::Time ParseHttpOrIsoTime(std::string_view text);

// An object's metadata from the ETag, Last-Modified and Content-Length
// headers of a GET or HEAD answer (size 0 when Content-Length is absent).
Meta MetaFromHeaders(const transport::HttpResponse& response);

// A random lower-case hex string of `bytes` random bytes.
std::string RandomHex(int bytes);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_HTTP_H_
