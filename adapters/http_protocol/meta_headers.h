// A key's metadata on GET / HEAD answers: ETag, Last-Modified and cask's
// exact X-Cask-Mtime / -Size / -Revision / -Expires, plus unstorage's X-TTL
// and Cache-Control for an expiring key.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_META_HEADERS_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_META_HEADERS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "cask/types.h"

namespace cask::http_protocol {

// (name, value) pairs describing `meta`; `now` computes X-TTL.
std::vector<std::pair<std::string_view, std::string>> MetaHeaders(
    const Meta& meta, absl::Time now);

// Reads the headers back. `header(name)` returns a header's value (names
// as in protocol_names.h, compared case-insensitively by the caller) or
// nullopt. `body_size` is the size when X-Cask-Size is absent; `now` turns
// a bare X-TTL into an expiry.
Meta MetaFromHeaders(
    const std::function<std::optional<std::string>(std::string_view)>& header,
    std::uint64_t body_size, absl::Time now);

// The IMF-fixdate of `t` ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string HttpDate(absl::Time t);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_META_HEADERS_H_
