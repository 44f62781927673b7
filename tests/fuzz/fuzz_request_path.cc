// libFuzzer target: request target -> key, origin form and query
// (tools/server/wire.h). Checks that whatever is accepted is a valid,
// already-normalised key, and that an origin form starts with `/`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "cask/key.h"
#include "wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  // The absolute form names the same key as its path.
  absl::StatusOr<std::string_view> origin =
      cask::server::OriginFormPath(target);
  if (origin.ok() && (origin->empty() || origin->front() != '/')) std::abort();
  absl::StatusOr<std::map<std::string, std::string>> query =
      cask::server::ParseQuery(target);
  (void)query;
  absl::StatusOr<cask::server::RequestPath> path =
      cask::server::ParseRequestPath(target, cask::kMaxKeyBytes);
  if (!path.ok()) return 0;
  const std::string& key = path->key;
  if (key.size() > cask::kMaxKeyBytes) std::abort();
  if (key.find('\0') != std::string::npos) std::abort();
  if (!path->is_base && key.empty()) std::abort();
  absl::StatusOr<std::string> again =
      path->is_base ? cask::NormalizeBase(key) : cask::NormalizeKey(key);
  if (!again.ok() || *again != key) std::abort();  // not normalised
  std::string padded = ":" + key + ":";
  if (padded.find(":..:") != std::string::npos ||
      padded.find(":.:") != std::string::npos) {
    std::abort();
  }
  return 0;
}
