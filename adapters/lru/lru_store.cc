#include "lru_store.h"

#include "memory_store.h"

namespace cask {

absl::StatusOr<std::unique_ptr<Driver>> CreateLruStore(LruOptions options) {
  if (options.max_entries == 0 && options.max_bytes == 0) {
    return absl::InvalidArgumentError(
        "lru store needs max_entries or max_bytes");
  }
  return CreateMemoryStore(MemoryOptions{
      .name = "lru",
      .max_entries = options.max_entries,
      .max_bytes = options.max_bytes,
  });
}

}  // namespace cask
