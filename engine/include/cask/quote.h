// How cask's error messages name what a caller sent (a key, an etag, a
// header, a line of input): capped and escaped, so a 50 MB etag gives a
// short message and raw control bytes never reach a log or a terminal
// (docs/errors.md, "Echoing input in messages").
//
// Thread safety: pure functions.
#ifndef CASK_QUOTE_H_
#define CASK_QUOTE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cask {

// Echoing what a caller sent (a key, an etag, a header, a line of input)
// in an error message: at most `max_bytes` bytes of `text`, every byte
// outside printable ASCII as \xNN, and, when cut, "..." and the full
// length in bytes. So a 50 MB etag gives a short message and raw control
// bytes never reach a log or a terminal. Every message that echoes input
// uses one of these two:
//   QuoteForMessage   for one item: in double quotes, with '"' and '\'
//                     escaped too (`"a\x1bb"`).
//   EscapeForMessage  for a whole message that may carry such bytes
//                     (a backend's error text, before printing it).
inline constexpr std::size_t kMaxQuotedBytes = 128;
std::string QuoteForMessage(std::string_view text,
                            std::size_t max_bytes = kMaxQuotedBytes);
std::string EscapeForMessage(std::string_view text, std::size_t max_bytes);

// The cap for a backend's own words (a server's error message or body, a
// transport's error text) passed on in a message with EscapeForMessage:
// enough for any real diagnostic, and a hostile or broken server cannot
// make a message of megabytes.
inline constexpr std::size_t kMaxBackendTextBytes = 512;

// kNotFound for `key`, naming it (quoted as above): what every store's
// Get / GetMeta returns for a missing key.
absl::Status KeyNotFoundError(std::string_view key);

}  // namespace cask

#endif  // CASK_QUOTE_H_
