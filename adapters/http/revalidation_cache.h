// The http adapter's cache for conditional GET: the last value read of a
// key, with its strong etag, kept so the next Get can ask the server
// "If-None-Match: <etag>" and, on 304 Not Modified, return the value
// without it crossing the network again.
//
// Never a source of stale reads: an entry is only ever returned after the
// server confirmed, in the same request, that the key's current etag is
// still the entry's (etags never name another value, docs/api.md). Weak
// etags are not cached (a weak match is not byte equality). Bounded by
// bytes, least recently used evicted first.
//
// Internal to adapters/http. Thread-safe.
#ifndef CASK_ADAPTERS_HTTP_REVALIDATION_CACHE_H_
#define CASK_ADAPTERS_HTTP_REVALIDATION_CACHE_H_

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cask/types.h"

namespace cask::http_internal {

class RevalidationCache {
 public:
  // At most `capacity_bytes` of keys and values; 0 disables the cache.
  explicit RevalidationCache(std::size_t capacity_bytes);

  // The entry for `key`, or null. The entry stays valid after eviction.
  std::shared_ptr<const Item> Find(const std::string& key);
  // Remembers `item` (read whole with a GET) for `key`, unless its etag is
  // empty or weak or it is too large to be worth a slot (over 1/8 of the
  // capacity).
  void Put(const std::string& key, const Item& item);
  // Forgets `key` (it was written, removed or not found).
  void Erase(const std::string& key);
  // Forgets everything (a clear, a server replaced).
  void Clear();

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const Item> item;
  };
  void EraseLocked(const std::string& key);

  const std::size_t capacity_;
  std::mutex mu_;
  std::size_t bytes_ = 0;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace cask::http_internal

#endif  // CASK_ADAPTERS_HTTP_REVALIDATION_CACHE_H_
