#include "meta_headers.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "etag_header.h"
#include "protocol_names.h"

namespace cask::http_protocol {

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

std::vector<std::pair<std::string_view, std::string>> MetaHeaders(
    const Meta& meta, absl::Time now) {
  std::vector<std::pair<std::string_view, std::string>> h;
  h.reserve(8);
  h.emplace_back("ETag", QuoteEtag(meta.etag));
  h.emplace_back("Last-Modified", HttpDate(meta.mtime));
  h.emplace_back(kMtimeHeader, absl::StrCat(absl::ToUnixMicros(meta.mtime)));
  h.emplace_back(kSizeHeader, absl::StrCat(meta.size));
  if (meta.revision != 0) {
    h.emplace_back(kRevisionHeader, absl::StrCat(meta.revision));
  }
  if (meta.expires) {
    std::int64_t seconds =
        std::max<std::int64_t>(0, absl::ToInt64Seconds(absl::Ceil(
                                      *meta.expires - now, absl::Seconds(1))));
    h.emplace_back(kTtlHeader, absl::StrCat(seconds));
    h.emplace_back("Cache-Control", absl::StrCat("max-age=", seconds));
    h.emplace_back(kExpiresHeader,
                   absl::StrCat(absl::ToUnixMicros(*meta.expires)));
  }
  return h;
}

Meta MetaFromHeaders(
    const std::function<std::optional<std::string>(std::string_view)>& header,
    std::uint64_t body_size, absl::Time now) {
  auto get = [&](std::string_view name) {
    return header(name).value_or(std::string());
  };
  Meta meta;
  meta.etag = UnquoteEtag(get("ETag"));
  std::int64_t micros = 0;
  std::uint64_t number = 0;
  if (absl::SimpleAtoi(get(kMtimeHeader), &micros)) {
    meta.mtime = absl::FromUnixMicros(micros);
  } else if (std::optional<std::string> lm = header("Last-Modified")) {
    std::string err;
    if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", *lm, &meta.mtime, &err)) {
      meta.mtime = absl::UnixEpoch();
    }
  }
  meta.size = absl::SimpleAtoi(get(kSizeHeader), &number) ? number : body_size;
  if (absl::SimpleAtoi(get(kExpiresHeader), &micros)) {
    meta.expires = absl::FromUnixMicros(micros);
  } else if (absl::SimpleAtoi(get(kTtlHeader), &number) && number > 0) {
    meta.expires = now + absl::Seconds(number);
  }
  if (absl::SimpleAtoi(get(kRevisionHeader), &number)) {
    meta.revision = number;
  }
  return meta;
}

}  // namespace cask::http_protocol
