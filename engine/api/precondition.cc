#include "cask/precondition.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

constexpr std::string_view kWeakPrefix = "W/";

bool IsWeak(std::string_view etag) {
  return etag.substr(0, kWeakPrefix.size()) == kWeakPrefix;
}

std::string_view Opaque(std::string_view etag) {
  return IsWeak(etag) ? etag.substr(kWeakPrefix.size()) : etag;
}

bool IsAny(const std::vector<std::string>& tags) {
  return tags.size() == 1 && tags[0] == kAnyEtag;
}

absl::Status ValidateSide(const std::optional<std::vector<std::string>>& side,
                          std::string_view name) {
  if (!side) return absl::OkStatus();
  if (side->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(name), " has no etags"));
  }
  if (IsAny(*side)) return absl::OkStatus();
  for (const std::string& tag : *side) {
    if (tag == kAnyEtag) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(name), " mixes \"*\" with etags"));
    }
    if (!IsValidEtag(tag)) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(name), " has a malformed etag: ", QuoteForMessage(tag)));
    }
  }
  return absl::OkStatus();
}

std::string DescribeSide(const std::vector<std::string>& tags) {
  if (IsAny(tags)) return "*";
  return absl::StrJoin(tags, ", ", [](std::string* out, const std::string& t) {
    absl::StrAppend(out, QuoteForMessage(t));
  });
}

}  // namespace

Precondition Precondition::CreateOnly() {
  return Precondition{std::nullopt, std::vector<std::string>{"*"}};
}

Precondition Precondition::MustExist() {
  return Precondition{std::vector<std::string>{"*"}, std::nullopt};
}

Precondition Precondition::IfMatch(std::string etag) {
  return Precondition{std::vector<std::string>{std::move(etag)}, std::nullopt};
}

Precondition Precondition::IfNoneMatch(std::string etag) {
  return Precondition{std::nullopt, std::vector<std::string>{std::move(etag)}};
}

bool IsValidEtag(std::string_view etag) {
  std::string_view opaque = Opaque(etag);
  if (opaque.empty()) return false;
  return std::all_of(opaque.begin(), opaque.end(), [](char ch) {
    unsigned char c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
  });
}

absl::Status ValidatePrecondition(const Precondition& p) {
  if (absl::Status s = ValidateSide(p.if_match, "if-match"); !s.ok()) return s;
  return ValidateSide(p.if_none_match, "if-none-match");
}

bool PreconditionHolds(const Precondition& p,
                       std::optional<std::string_view> current) {
  if (p.if_match) {
    if (!current) return false;
    if (!IsAny(*p.if_match)) {
      // Strong comparison: a weak tag never matches.
      bool matched = std::any_of(
          p.if_match->begin(), p.if_match->end(),
          [&](const std::string& t) { return !IsWeak(t) && t == *current; });
      if (!matched) return false;
    }
  }
  if (p.if_none_match) {
    if (IsAny(*p.if_none_match)) return !current;
    if (current) {
      // Weak comparison: "W/x" and "x" match.
      bool matched = std::any_of(
          p.if_none_match->begin(), p.if_none_match->end(),
          [&](const std::string& t) { return Opaque(t) == Opaque(*current); });
      if (matched) return false;
    }
  }
  return true;
}

absl::Status EvaluatePrecondition(std::string_view key, const Precondition& p,
                                  const std::optional<std::string>& current) {
  if (PreconditionHolds(p, current)) return absl::OkStatus();
  return CasMismatchError(key, current);
}

std::string DescribePrecondition(const Precondition& p) {
  std::vector<std::string> parts;
  if (p.if_match) parts.push_back("if-match " + DescribeSide(*p.if_match));
  if (p.if_none_match) {
    parts.push_back("if-none-match " + DescribeSide(*p.if_none_match));
  }
  if (parts.empty()) return "no precondition";
  return absl::StrJoin(parts, " and ");
}

}  // namespace cask
