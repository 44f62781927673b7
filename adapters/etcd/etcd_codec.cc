#include "etcd_codec.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::etcd_internal {
namespace {

constexpr char kFormat = 'c';

void PutBe64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::uint64_t GetBe64(std::string_view s) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

std::string B64(std::string_view bytes) {
  return absl::Base64Escape(ToAbsl(bytes));
}

std::string UnB64(const nlohmann::json& j) {
  std::string out;
  if (!j.is_string() || !absl::Base64Unescape(j.get<std::string>(), &out)) {
    throw BadReply("bad base64");
  }
  return out;
}

std::int64_t ReplyInt(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  std::int64_t v = 0;
  if (!it->is_string() || !absl::SimpleAtoi(it->get<std::string>(), &v)) {
    throw BadReply(absl::StrCat("bad number in ", field));
  }
  return v;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

std::string EncodeValue(std::string_view value, const ValueHeader& header) {
  std::string out;
  out.reserve(kValueHeaderSize + value.size());
  out.push_back(kFormat);
  PutBe64(out, static_cast<std::uint64_t>(absl::ToUnixMillis(header.mtime)));
  PutBe64(out, header.expires ? static_cast<std::uint64_t>(
                                    absl::ToUnixMillis(*header.expires))
                              : 0);
  out.append(value);
  return out;
}

std::optional<DecodedValue> DecodeValue(std::string_view raw) {
  if (raw.size() < kValueHeaderSize || raw[0] != kFormat) return std::nullopt;
  DecodedValue out;
  out.header.mtime =
      absl::FromUnixMillis(static_cast<std::int64_t>(GetBe64(raw.substr(1))));
  if (std::uint64_t x = GetBe64(raw.substr(9)); x != 0) {
    out.header.expires = absl::FromUnixMillis(static_cast<std::int64_t>(x));
  }
  out.value = raw.substr(kValueHeaderSize);
  return out;
}

}  // namespace cask::etcd_internal
