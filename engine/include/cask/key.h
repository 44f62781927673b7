// Key normalisation and validation (unstorage's conventions; docs/
// contract.md, "Keys and values").
//
// `:` is the separator; `/` and `\` are accepted and turned into `:`;
// repeated separators collapse to one; leading and trailing separators are
// dropped. A key must be non-empty after that, at most kMaxKeyBytes long,
// free of NUL bytes and of `.` / `..` segments.
//
// Every Driver call normalises its keys through these functions before the
// backend is touched, so stores never see an invalid key.
//
// Thread safety: pure functions, thread-safe.
#ifndef CASK_KEY_H_
#define CASK_KEY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cask {

inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr char kKeySeparator = ':';

// The normalised form of `key`, or kInvalidArgument (message says why).
absl::StatusOr<std::string> NormalizeKey(std::string_view key);

// The normalised form of a base (prefix). Like NormalizeKey but an empty
// base, meaning "everything", is allowed.
absl::StatusOr<std::string> NormalizeBase(std::string_view base);

// True when normalised `key` lies under normalised `base`: base is empty,
// or key starts with `base:`. A key never lies under itself.
bool IsUnderBase(std::string_view key, std::string_view base);

// `base:relative`, or `relative` when base is empty.
std::string JoinKey(std::string_view base, std::string_view relative);

// cask's own key space inside a store (sync state, docs/sync.md). Keys
// under it are hidden from Keys(""), Changes, Watch("") and Clear("");
// they show only to a caller that names the base explicitly. Applications
// must not write under it.
inline constexpr std::string_view kReservedBase = ".cask";

// True when normalised `key` is kReservedBase or lies under it.
bool IsReservedKey(std::string_view key);

}  // namespace cask

#endif  // CASK_KEY_H_
