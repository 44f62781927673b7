#include "listing_json.h"

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cask/string_view_compat.h"
#include "nlohmann/json.hpp"

namespace cask::http_protocol {
namespace {

using Json = nlohmann::json;

// `s` as a JSON string literal, or nullopt when it is not UTF-8 (JSON text
// cannot carry it; the caller sends base64 instead).
std::optional<std::string> JsonString(std::string_view s) {
  try {
    return Json(std::string(s))
        .dump(-1, ' ', false, Json::error_handler_t::strict);
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

// `"name":<s>` or `"name_base64":"<base64 of s>"`.
void AppendBytesField(std::string_view name, std::string_view s,
                      std::string& out) {
  if (std::optional<std::string> text = JsonString(s)) {
    absl::StrAppend(&out, "\"", ToAbsl(name), "\":", *text);
  } else {
    absl::StrAppend(&out, "\"", ToAbsl(name), "_base64\":\"",
                    absl::Base64Escape(ToAbsl(s)), "\"");
  }
}

// The bytes of field `name`, or of `name_base64`; nullopt when neither is
// a string (or the base64 is bad).
std::optional<std::string> BytesField(const Json& j, const std::string& name) {
  if (auto it = j.find(name); it != j.end()) {
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }
  auto it = j.find(name + "_base64");
  if (it == j.end() || !it->is_string()) return std::nullopt;
  std::string bytes;
  if (!absl::Base64Unescape(it->get<std::string>(), &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

// An integer field; nullopt when present but not an integer (a float is
// refused: nlohmann would convert it with an undefined cast).
template <typename T>
std::optional<T> IntegerField(const Json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) return std::nullopt;
  if (std::is_unsigned_v<T> && !it->is_number_unsigned()) return std::nullopt;
  return it->get<T>();
}

absl::Status NotAnEntry(std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("http listing: a line is not an entry (", ToAbsl(why), ")"));
}

}  // namespace

void AppendListingEntry(const ScanEntry& entry, bool with_value,
                        std::string& out) {
  out.push_back('{');
  AppendBytesField("key", entry.key, out);
  out.append(",");
  AppendBytesField("etag", entry.meta.etag, out);
  absl::StrAppend(&out, ",\"size\":", entry.meta.size,
                  ",\"mtime_us\":", absl::ToUnixMicros(entry.meta.mtime));
  if (entry.meta.expires) {
    absl::StrAppend(
        &out, ",\"expires_us\":", absl::ToUnixMicros(*entry.meta.expires));
  }
  if (entry.meta.revision != 0) {
    absl::StrAppend(&out, ",\"revision\":", entry.meta.revision);
  }
  if (with_value) {
    out.append(",");
    AppendBytesField("value", entry.value, out);
  }
  out.append("}\n");
}

absl::StatusOr<ScanEntry> ParseListingEntry(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return NotAnEntry("not an object");
  ScanEntry e;
  std::optional<std::string> key = BytesField(j, "key");
  std::optional<std::string> etag = BytesField(j, "etag");
  if (!key || key->empty() || !etag) return NotAnEntry("no key or etag");
  e.key = *std::move(key);
  e.meta.etag = *std::move(etag);
  std::optional<std::uint64_t> size = IntegerField(j, "size", std::uint64_t{0});
  std::optional<std::int64_t> mtime =
      IntegerField(j, "mtime_us", std::int64_t{0});
  std::optional<std::uint64_t> revision =
      IntegerField(j, "revision", std::uint64_t{0});
  if (!size || !mtime || !revision) {
    return NotAnEntry("size, mtime_us or revision is not an integer");
  }
  e.meta.size = *size;
  e.meta.mtime = absl::FromUnixMicros(*mtime);
  e.meta.revision = *revision;
  if (j.contains("expires_us")) {
    std::optional<std::int64_t> expires =
        IntegerField(j, "expires_us", std::int64_t{0});
    if (!expires) return NotAnEntry("expires_us is not an integer");
    e.meta.expires = absl::FromUnixMicros(*expires);
  }
  if (j.contains("value") || j.contains("value_base64")) {
    std::optional<std::string> value = BytesField(j, "value");
    if (!value) return NotAnEntry("value is not a string");
    e.value = *std::move(value);
  }
  return e;
}

}  // namespace cask::http_protocol
