// memory: an in-process store, and the reference ("oracle") store for tests.
//
// Etags: a store-wide counter rendered with a random per-store identity
// ("<counter>.<store-id>", hex), so an etag is never reused for a key, not
// after delete-and-recreate nor after Clear, and an etag of one store never
// matches in another. CAS and Commit: one mutex serialises every write; the
// shared evaluator (cask/precondition.h) checks preconditions under it.
// TTL: expiry stored with the entry; expired entries are invisible and
// dropped lazily. Bounds (the lru store): least recently used entries are
// evicted when an entry or byte bound is exceeded; since the counter never
// restarts, a key re-created after eviction gets an etag no old reader holds.
//
// Not shared across processes. Thread-safe.
#ifndef CASK_ADAPTERS_MEMORY_MEMORY_STORE_H_
#define CASK_ADAPTERS_MEMORY_MEMORY_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct MemoryOptions {
  // Reported by name(): "memory" or "lru".
  std::string name = "memory";
  // Most entries kept; 0 means unbounded. Exceeding it evicts the least
  // recently used entries.
  std::uint64_t max_entries = 0;
  // Most value bytes kept; 0 means unbounded. A single value larger than
  // this is kResourceExhausted.
  std::uint64_t max_bytes = 0;
};

class MemoryStore;

// Creates an empty store. kInvalidArgument for an empty name.
absl::StatusOr<std::unique_ptr<Driver>> CreateMemoryStore(
    MemoryOptions options = {});

}  // namespace cask

#endif  // CASK_ADAPTERS_MEMORY_MEMORY_STORE_H_
