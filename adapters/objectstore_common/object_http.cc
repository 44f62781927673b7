#include "object_http.h"

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {

transport::TransportOptions TransportFor(absl::Duration connect_timeout) {
  transport::TransportOptions options;
  options.connect_timeout = connect_timeout;
  options.stall_timeout = absl::Seconds(60);
  return options;
}

std::string Base64Encode(std::string_view data) {
  return absl::Base64Escape(ToAbsl(data));
}

bool Base64Decode(std::string_view text, std::string* out) {
  return absl::Base64Unescape(ToAbsl(text), out);
}

std::string UnquoteEtag(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

Meta MetaFromHeaders(const transport::HttpResponse& response) {
  Meta meta;
  meta.etag = UnquoteEtag(response.Header("etag"));
  meta.mtime = ParseHttpOrIsoTime(response.Header("last-modified"));
  std::uint64_t size = 0;
  if (absl::SimpleAtoi(response.Header("content-length"), &size)) {
    meta.size = size;
  }
  return meta;
}

absl::Time ParseHttpOrIsoTime(std::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", ToAbsl(text),
                      absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  if (absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) return t;
  return absl::InfinitePast();
}

std::string RandomHex(int bytes) {
  // random_device every time: a forked child must not repeat its parent.
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppendFormat(&out, "%02x", static_cast<unsigned>(rd() & 0xff));
  }
  return out;
}

}  // namespace cask::objstore
