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

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         absl::EqualsIgnoreCase(ToAbsl(s.substr(0, prefix.size())),
                                ToAbsl(prefix));
}

}  // namespace

absl::StatusOr<std::string_view> OriginFormPath(std::string_view target) {
  if (!target.empty() && target.front() == '/') return target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!StartsWithIgnoreCase(target, scheme)) continue;
    // RFC 9112 §3.2.2: the authority names the host (ignored: this server
    // serves one store under every name); the path is what follows it.
    std::string_view rest = target.substr(scheme.size());
    std::size_t path = rest.find_first_of("/?#");
    if (path == std::string_view::npos) return std::string_view("/");
    if (rest[path] != '/') return std::string_view("/");
    return rest.substr(path);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("request target \"", ToAbsl(target.substr(0, 64)),
                   "\" is neither a path (/a/b) nor an absolute http URI"));
}

absl::StatusOr<RequestPath> ParseRequestPath(std::string_view raw_target,
                                             std::size_t max_key_bytes) {
  absl::StatusOr<std::string_view> origin = OriginFormPath(raw_target);
  if (!origin.ok()) return origin.status();
  std::string_view target = *origin;
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

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(
    std::string_view target) {
  std::map<std::string, std::string> out;
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    absl::StatusOr<std::string> n = PercentDecode(name);
    if (!n.ok()) return n.status();
    absl::StatusOr<std::string> v = PercentDecode(value);
    if (!v.ok()) return v.status();
    out[*std::move(n)] = *std::move(v);
  }
  return out;
}

}  // namespace cask::server
