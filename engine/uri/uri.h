// A small URI parser shared by every adapter's Options::FromUri, so that all
// stores read `scheme://user:pass@host:port/path?k=v` the same way.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_URI_URI_H_
#define CASK_ENGINE_URI_URI_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  std::map<std::string, std::string> query;  // percent-decoded; last wins
  // Every query pair in order, repeated names kept (percent-decoded).
  std::vector<std::pair<std::string, std::string>> query_pairs;

  // The query value for `name`, or `fallback`.
  std::string Param(std::string_view name,
                    std::string_view fallback = "") const;
  // Every value given for `name`, in order (e.g. overlay's layer=...).
  std::vector<std::string> Params(std::string_view name) const;
  // The query value for `name` parsed as an unsigned integer.
  // kInvalidArgument when present but not a number.
  absl::StatusOr<std::uint64_t> UintParam(std::string_view name,
                                          std::uint64_t fallback) const;
};

// Parses `text`. kInvalidArgument (naming the URI) when it has no scheme, a
// bad port or a bad percent escape.
absl::StatusOr<Uri> ParseUri(std::string_view text);

}  // namespace cask

#endif  // CASK_ENGINE_URI_URI_H_
