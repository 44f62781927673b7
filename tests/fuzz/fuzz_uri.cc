// libFuzzer target: the store URI parser (engine/uri/uri.h). Whatever
// parses has a lower-case scheme and percent-decoded parts; percent
// decoding never grows its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> decoded = cask::PercentDecode(text);
  if (decoded.ok() && decoded->size() > text.size()) std::abort();
  absl::StatusOr<cask::Uri> uri = cask::ParseUri(text);
  if (!uri.ok()) {
    if (uri.status().message().size() > 1536) std::abort();
    return 0;
  }
  for (char c : uri->scheme) {
    if (c >= 'A' && c <= 'Z') std::abort();
  }
  return 0;
}
