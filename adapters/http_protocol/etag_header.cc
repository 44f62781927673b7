#include "etag_header.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::http_protocol {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 9110 etagc: %x21 / %x23-7E / obs-text.
bool IsEtagChar(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
}

absl::Status Malformed(std::string_view header, std::string_view value,
                       std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", ToAbsl(header), " header ",
                   QuoteForMessage(value), ": ", ToAbsl(why)));
}

}  // namespace

std::string QuoteEtag(std::string_view etag) {
  if (absl::StartsWith(ToAbsl(etag), "W/")) {
    return absl::StrCat("W/\"", ToAbsl(etag.substr(2)), "\"");
  }
  return absl::StrCat("\"", ToAbsl(etag), "\"");
}

std::string UnquoteEtag(std::string_view header_value) {
  std::string_view s = TrimOws(header_value);
  std::string_view prefix;
  if (absl::StartsWith(ToAbsl(s), "W/")) {
    prefix = "W/";
    s.remove_prefix(2);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return absl::StrCat(ToAbsl(prefix), ToAbsl(s));
}

absl::StatusOr<std::vector<std::string>> ParseEtagList(std::string_view header,
                                                       std::string_view value) {
  std::string_view rest = TrimOws(value);
  if (rest.empty()) return Malformed(header, value, "empty value");
  if (rest == "*") return std::vector<std::string>{std::string(kAnyEtag)};
  std::vector<std::string> tags;
  while (true) {
    while (!rest.empty() && (IsOws(rest.front()) || rest.front() == ',')) {
      rest.remove_prefix(1);
    }
    if (rest.empty()) break;
    if (rest.front() == '*') {
      return Malformed(header, value, "\"*\" mixed with entity tags");
    }
    std::string tag;
    if (absl::StartsWith(ToAbsl(rest), "W/")) {
      tag = "W/";
      rest.remove_prefix(2);
    }
    if (rest.empty() || rest.front() != '"') {
      return Malformed(header, value, "entity tags must be quoted");
    }
    rest.remove_prefix(1);
    std::size_t end = 0;
    while (end < rest.size() && rest[end] != '"') {
      if (!IsEtagChar(static_cast<unsigned char>(rest[end]))) {
        return Malformed(header, value, "invalid character in entity tag");
      }
      ++end;
    }
    if (end == rest.size()) {
      return Malformed(header, value, "unterminated entity tag");
    }
    if (end == 0) return Malformed(header, value, "empty entity tag");
    tag.append(rest.substr(0, end));
    rest.remove_prefix(end + 1);
    tags.push_back(std::move(tag));
    rest = TrimOws(rest);
    if (rest.empty()) break;
    if (rest.front() != ',') {
      return Malformed(header, value, "expected \",\" between entity tags");
    }
  }
  if (tags.empty()) return Malformed(header, value, "no entity tag");
  return tags;
}

absl::StatusOr<Precondition> ParsePreconditionHeaders(
    const std::optional<std::string_view>& if_match,
    const std::optional<std::string_view>& if_none_match) {
  Precondition p;
  if (if_match) {
    absl::StatusOr<std::vector<std::string>> tags =
        ParseEtagList("If-Match", *if_match);
    if (!tags.ok()) return tags.status();
    p.if_match = *std::move(tags);
  }
  if (if_none_match) {
    absl::StatusOr<std::vector<std::string>> tags =
        ParseEtagList("If-None-Match", *if_none_match);
    if (!tags.ok()) return tags.status();
    p.if_none_match = *std::move(tags);
  }
  if (absl::Status s = ValidatePrecondition(p); !s.ok()) return s;
  return p;
}

std::string EtagListHeaderValue(const std::vector<std::string>& tags) {
  return absl::StrJoin(tags, ", ", [](std::string* out, const std::string& t) {
    if (t == kAnyEtag) {
      out->append("*");
    } else {
      out->append(QuoteEtag(t));
    }
  });
}

}  // namespace cask::http_protocol
