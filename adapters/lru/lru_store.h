// lru: a bounded in-process store. The memory store with eviction switched
// on (see adapters/memory/memory_store.h for etags and CAS): the least
// recently used entries go when max_entries or max_bytes is exceeded.
// Etags come from a store-wide counter that eviction never resets, so an
// evicted key re-created later gets an etag that no old reader can match.
//
// Not shared across processes. Thread-safe.
#ifndef CASK_ADAPTERS_LRU_LRU_STORE_H_
#define CASK_ADAPTERS_LRU_LRU_STORE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct LruOptions {
  // Most entries kept; 0 means unbounded.
  std::uint64_t max_entries = 1000;
  // Most value bytes kept; 0 means unbounded.
  std::uint64_t max_bytes = 64ull << 20;
};

// kInvalidArgument when both bounds are 0 (use the memory store then).
absl::StatusOr<std::unique_ptr<Driver>> CreateLruStore(LruOptions options);

}  // namespace cask

#endif  // CASK_ADAPTERS_LRU_LRU_STORE_H_
