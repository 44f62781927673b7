#include "uri.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed URI ", QuoteForMessage(text), ": ", ToAbsl(why)));
}

}  // namespace

absl::StatusOr<Uri> ParseUri(std::string_view text) {
  Uri uri;
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Bad(text, "no scheme");
  }
  uri.scheme = absl::AsciiStrToLower(ToAbsl(text.substr(0, colon)));
  std::string_view rest = text.substr(colon + 1);

  std::string_view query;
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.substr(0, 2) == "//") {
    uri.has_authority = true;
    rest.remove_prefix(2);
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      authority = authority.substr(at + 1);
      std::size_t c = userinfo.find(':');
      absl::StatusOr<std::string> user = PercentDecode(userinfo.substr(0, c));
      if (!user.ok()) return Bad(text, ToStd(user.status().message()));
      uri.user = *user;
      if (c != std::string_view::npos) {
        absl::StatusOr<std::string> pw = PercentDecode(userinfo.substr(c + 1));
        if (!pw.ok()) return Bad(text, ToStd(pw.status().message()));
        uri.password = *pw;
      }
    }
    std::size_t port_colon = authority.rfind(':');
    if (port_colon != std::string_view::npos &&
        authority.find(']', port_colon) == std::string_view::npos) {
      std::string_view port = authority.substr(port_colon + 1);
      std::uint32_t value = 0;
      if (!port.empty()) {
        if (!absl::SimpleAtoi(ToAbsl(port), &value) || value == 0 ||
            value > 65535) {
          return Bad(text, absl::StrCat("bad port ", QuoteForMessage(port)));
        }
        uri.port = static_cast<std::uint16_t>(value);
      }
      authority = authority.substr(0, port_colon);
    }
    uri.host = std::string(authority);
  }
  absl::StatusOr<std::string> path = PercentDecode(rest);
  if (!path.ok()) return Bad(text, ToStd(path.status().message()));
  uri.path = *path;

  if (!query.empty()) {
    for (absl::string_view pair_view :
         absl::StrSplit(ToAbsl(query), '&', absl::SkipEmpty())) {
      std::string_view pair = ToStd(pair_view);
      std::size_t eq = pair.find('=');
      absl::StatusOr<std::string> k = PercentDecode(pair.substr(0, eq));
      absl::StatusOr<std::string> v = PercentDecode(
          eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!k.ok() || !v.ok()) return Bad(text, "bad percent escape in query");
      uri.query[*k] = *v;
      uri.query_pairs.emplace_back(*k, *v);
    }
  }
  return uri;
}

std::string Uri::Param(std::string_view name, std::string_view fallback) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string(fallback) : it->second;
}

std::vector<std::string> Uri::Params(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : query_pairs) {
    if (key == name) values.push_back(value);
  }
  return values;
}

absl::StatusOr<std::uint64_t> Uri::UintParam(std::string_view name,
                                             std::uint64_t fallback) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return fallback;
  std::uint64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("URI parameter ", ToAbsl(name), "=",
                     QuoteForMessage(it->second), " is not a number"));
  }
  return value;
}

}  // namespace cask
