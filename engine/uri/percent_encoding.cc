#include "percent_encoding.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

KeptBytes KeptBytes::Unreserved() {
  KeptBytes k;
  for (int c = 0; c < 256; ++c) {
    k.kept_[c] = absl::ascii_isalnum(static_cast<unsigned char>(c));
  }
  return k.With("-._~");
}

KeptBytes KeptBytes::PrintableAscii() {
  KeptBytes k;
  for (int c = 0x20; c < 0x7F; ++c) k.kept_[c] = true;
  return k;
}

KeptBytes KeptBytes::With(std::string_view bytes) const {
  KeptBytes k = *this;
  for (unsigned char c : bytes) k.kept_[c] = true;
  return k;
}

KeptBytes KeptBytes::Without(std::string_view bytes) const {
  KeptBytes k = *this;
  for (unsigned char c : bytes) k.kept_[c] = false;
  return k;
}

std::string PercentEncode(std::string_view text, const KeptBytes& kept) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (kept.Keeps(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad percent escape in ", QuoteForMessage(text)));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace cask
