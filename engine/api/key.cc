#include "cask/key.h"

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

bool IsSeparator(char c) { return c == ':' || c == '/' || c == '\\'; }

// Whether `input` is a valid key in normal form already: not empty, at
// most kMaxKeyBytes, ':' its only separator and never leading, trailing or
// doubled, no NUL byte and no "." or ".." segment. Most keys are; they are
// checked in one pass and copied whole (every call of the API normalises
// its key).
bool IsNormalKey(std::string_view input) {
  if (input.empty() || input.size() > kMaxKeyBytes) return false;
  std::size_t segment_start = 0;
  for (std::size_t i = 0; i <= input.size(); ++i) {
    const char c = i < input.size() ? input[i] : kKeySeparator;
    if (c == '/' || c == '\\' || c == '\0') return false;
    if (c != kKeySeparator) continue;
    const std::string_view segment =
        input.substr(segment_start, i - segment_start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    segment_start = i + 1;
  }
  return true;
}

// `input` with its separators normalised: each run of separators becomes
// one ':', leading and trailing ones are dropped.
std::string NormalizeSeparators(std::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (char c : input) {
    if (IsSeparator(c)) {
      if (!out.empty() && out.back() != kKeySeparator) out.push_back(':');
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == kKeySeparator) out.pop_back();
  return out;
}

// Normalises separators, then rejects an empty key (unless allowed), a NUL
// byte, a "." or ".." segment and a key over kMaxKeyBytes.
absl::StatusOr<std::string> Normalize(std::string_view input, bool allow_empty,
                                      std::string_view what) {
  if (IsNormalKey(input)) return std::string(input);
  std::string out = NormalizeSeparators(input);

  if (out.empty()) {
    if (allow_empty) return out;
    return absl::InvalidArgumentError(absl::StrCat("empty ", ToAbsl(what)));
  }
  if (out.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " is ", out.size(),
                     " bytes, over the limit of ", kMaxKeyBytes));
  }
  if (out.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " contains a NUL byte"));
  }
  std::size_t start = 0;
  while (start <= out.size()) {
    std::size_t end = out.find(kKeySeparator, start);
    if (end == std::string::npos) end = out.size();
    std::string_view segment(out.data() + start, end - start);
    if (segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(what), " ", QuoteForMessage(out), " contains a '",
                       ToAbsl(segment), "' segment"));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> NormalizeKey(std::string_view key) {
  return Normalize(key, /*allow_empty=*/false, "key");
}

absl::StatusOr<std::string> NormalizeBase(std::string_view base) {
  return Normalize(base, /*allow_empty=*/true, "base");
}

bool IsUnderBase(std::string_view key, std::string_view base) {
  if (base.empty()) return true;
  return key.size() > base.size() && key[base.size()] == kKeySeparator &&
         key.substr(0, base.size()) == base;
}

std::string JoinKey(std::string_view base, std::string_view relative) {
  if (base.empty()) return std::string(relative);
  if (relative.empty()) return std::string(base);
  return absl::StrCat(ToAbsl(base), ":", ToAbsl(relative));
}

bool IsReservedKey(std::string_view key) {
  return key == kReservedBase || IsUnderBase(key, kReservedBase);
}

}  // namespace cask
