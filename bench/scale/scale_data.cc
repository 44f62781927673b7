#include "scale_data.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace cask::bench {

std::uint64_t Mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string KeyOf(std::uint64_t i) {
  return absl::StrFormat("%s:%016x", kBase, Mix(i + 1));
}

std::string ValueOf(std::uint64_t i) {
  std::string v(kValueBytes, '\0');
  std::uint64_t s = Mix(i ^ 0x5ca1ab1eull);
  for (std::size_t off = 0; off < v.size(); off += 8) {
    s = Mix(s + 0x9e3779b97f4a7c15ull);
    std::memcpy(v.data() + off, &s, std::min<std::size_t>(8, v.size() - off));
  }
  return v;
}

}  // namespace cask::bench
