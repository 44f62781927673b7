// HTTP-style write preconditions and their one shared evaluator
// (docs/contract.md, "Preconditions").
//
// A Precondition guards a write (Set, Remove, a Batch entry). Its two sides
// follow RFC 9110 §13.1.1-2 and are evaluated in that order:
//   if_match       {"*"}: the key exists. A list: the key exists and its
//                  etag equals one of them (strong comparison: a weak tag
//                  "W/x" never matches).
//   if_none_match  {"*"}: the key does not exist. A list: the key is absent
//                  or its etag equals none of them (weak comparison: "W/x"
//                  matches "x").
// Both may be given; both must hold. Etags are carried unquoted.
//
// Stores without a native primitive evaluate preconditions with
// EvaluatePrecondition() while holding whatever lock makes the check and the
// write atomic, so the semantics live in exactly one place.
//
// Thread safety: plain values and pure functions.
#ifndef CASK_PRECONDITION_H_
#define CASK_PRECONDITION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cask {

inline constexpr std::string_view kAnyEtag = "*";

struct Precondition {
  // Absent: no condition on this side. {"*"}: any existing value. Otherwise
  // a non-empty list of etags. "*" mixed with tags, an empty list or an etag
  // with characters outside RFC 9110's etagc is kInvalidArgument.
  std::optional<std::vector<std::string>> if_match;
  std::optional<std::vector<std::string>> if_none_match;

  // No condition at all.
  bool empty() const { return !if_match && !if_none_match; }

  static Precondition None() { return {}; }
  // Create-only: the key must not exist (if_none_match "*").
  static Precondition CreateOnly();
  // The key must exist, whatever its etag (if_match "*").
  static Precondition MustExist();
  // Swap: the key must exist with exactly this etag.
  static Precondition IfMatch(std::string etag);
  // The key must be absent or carry another etag.
  static Precondition IfNoneMatch(std::string etag);

  bool operator==(const Precondition&) const = default;
};

// kInvalidArgument when `p` is malformed or contradictory; OK otherwise.
absl::Status ValidatePrecondition(const Precondition& p);

// True when `etag` is a syntactically valid entity tag for the API: a
// non-empty run of RFC 9110 etagc bytes (0x21, 0x23-0x7E, 0x80-0xFF),
// optionally prefixed by "W/".
bool IsValidEtag(std::string_view etag);

// Checks validated `p` against the key's current etag (nullopt: absent).
// OK when it holds, else a CAS mismatch (kAborted) naming `key` and carrying
// `current` in its payload.
absl::Status EvaluatePrecondition(std::string_view key, const Precondition& p,
                                  const std::optional<std::string>& current);

// True when `p` holds for `current`; the boolean core of the above. A view,
// so that a store can pass an etag it formatted without allocating.
bool PreconditionHolds(const Precondition& p,
                       std::optional<std::string_view> current);

// A short human-readable form, e.g. `if-match "12"` or
// `if-none-match *`, used in error messages.
std::string DescribePrecondition(const Precondition& p);

}  // namespace cask

#endif  // CASK_PRECONDITION_H_
