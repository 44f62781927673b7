// A small URI parser shared by every adapter's Options::FromUri, so that all
// stores read `scheme://user:pass@host:port/path?k=v` the same way.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_URI_URI_H_
#define CASK_ADAPTERS_URI_URI_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "percent_encoding.h"

namespace cask {

struct Uri {
  std::string scheme;          // lower-cased, without ':'
  bool has_authority = false;  // "//" present
  std::string user;            // percent-decoded
  std::string password;        // percent-decoded
  std::string host;            // "[::1]" keeps its brackets
  std::optional<std::uint16_t> port;
  std::string path;                          // percent-decoded, "" when absent
  std::map<std::string, std::string> query;  // percent-decoded

  // The query value for `name`, or `fallback`.
  std::string Param(std::string_view name,
                    std::string_view fallback = "") const;
  // The query value for `name` parsed as an unsigned integer.
  // kInvalidArgument when present but not a number.
  absl::StatusOr<std::uint64_t> UintParam(std::string_view name,
                                          std::uint64_t fallback) const;
};

// Parses `text`. kInvalidArgument (naming the URI) when it has no scheme, a
// bad port or a bad percent escape.
absl::StatusOr<Uri> ParseUri(std::string_view text);

}  // namespace cask

#endif  // CASK_ADAPTERS_URI_URI_H_
