#include "wire.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"
#include "uri.h"

namespace cask::server {
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
  return absl::InvalidArgumentError(absl::StrCat("malformed ", ToAbsl(header),
                                                 " header \"", ToAbsl(value),
                                                 "\": ", ToAbsl(why)));
}

// One header's value: `*` or a list of entity tags.
absl::StatusOr<std::vector<std::string>> ParseEtagList(std::string_view header,
                                                       std::string_view value) {
  std::string_view rest = TrimOws(value);
  if (rest.empty()) return Malformed(header, value, "empty value");
  if (rest == "*") return std::vector<std::string>{std::string(kAnyEtag)};
  std::vector<std::string> tags;
  while (true) {
    // Empty list elements (",,") are allowed by RFC 9110 §5.6.1.
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

}  // namespace

absl::StatusOr<RequestPath> ParseRequestPath(std::string_view target,
                                             std::size_t max_key_bytes) {
  std::size_t query = target.find_first_of("?#");
  if (query != std::string_view::npos) target = target.substr(0, query);
  RequestPath out;
  out.is_base = target.empty() || target.back() == '/' || target.back() == ':';
  std::string joined;
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find_first_of("/:", start);
    if (end == std::string_view::npos) end = target.size();
    std::string_view segment = target.substr(start, end - start);
    if (!segment.empty()) {
      absl::StatusOr<std::string> decoded = PercentDecode(segment);
      if (!decoded.ok()) return decoded.status();
      if (!joined.empty()) joined.push_back(kKeySeparator);
      joined.append(*decoded);
    }
    start = end + 1;
  }
  absl::StatusOr<std::string> key =
      out.is_base ? NormalizeBase(joined) : NormalizeKey(joined);
  if (!key.ok()) return key.status();
  if (key->size() > max_key_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key is ", key->size(), " bytes, over this server's limit of ",
        max_key_bytes, " bytes"));
  }
  out.key = *std::move(key);
  return out;
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

std::string QuoteEtag(std::string_view etag) {
  if (absl::StartsWith(ToAbsl(etag), "W/")) {
    return absl::StrCat("W/\"", ToAbsl(etag.substr(2)), "\"");
  }
  return absl::StrCat("\"", ToAbsl(etag), "\"");
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kAborted:
      return 412;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kResourceExhausted: {
      std::string_view m = ToStd(status.message());
      bool disk = absl::StrContains(ToAbsl(m), "disk full") ||
                  absl::StrContains(ToAbsl(m), "No space") ||
                  absl::StrContains(ToAbsl(m), "ENOSPC");
      return disk ? 507 : 413;
    }
    case absl::StatusCode::kOutOfRange:
      return 410;
    case absl::StatusCode::kDataLoss:
      return 500;
    case absl::StatusCode::kUnknown:
      return 502;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 500;
  }
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

}  // namespace cask::server
