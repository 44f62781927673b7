#include "revalidation_cache.h"

#include <utility>

namespace cask::http_internal {
namespace {

std::size_t Cost(const std::string& key, const Item& item) {
  return key.size() + item.value.size() + item.meta.etag.size() + 64;
}

}  // namespace

RevalidationCache::RevalidationCache(std::size_t capacity_bytes)
    : capacity_(capacity_bytes) {}

std::shared_ptr<const Item> RevalidationCache::Find(const std::string& key) {
  if (capacity_ == 0) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->item;
}

void RevalidationCache::Put(const std::string& key, const Item& item) {
  const std::size_t cost = Cost(key, item);
  if (capacity_ == 0 || item.meta.etag.empty() ||
      item.meta.etag.rfind("W/", 0) == 0 || cost > capacity_ / 8) {
    Erase(key);
    return;
  }
  auto copy = std::make_shared<const Item>(item);
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked(key);
  lru_.push_front(Entry{key, std::move(copy)});
  index_[key] = lru_.begin();
  bytes_ += cost;
  while (bytes_ > capacity_ && !lru_.empty()) {
    EraseLocked(lru_.back().key);
  }
}

void RevalidationCache::Erase(const std::string& key) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked(key);
}

void RevalidationCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

void RevalidationCache::EraseLocked(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  bytes_ -= Cost(it->second->key, *it->second->item);
  lru_.erase(it->second);
  index_.erase(it);
}

}  // namespace cask::http_internal
