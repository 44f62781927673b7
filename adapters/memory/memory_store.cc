#include "memory_store.h"

#include <list>
#include <map>
#include <random>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/scan.h"
#include "cask/status.h"

namespace cask {

class MemoryStore final : public Driver {
 public:
  explicit MemoryStore(MemoryOptions options)
      : options_(std::move(options)), store_id_(RandomStoreId()) {}

  std::string_view name() const override { return options_.name; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = caps.atomic_batch = caps.ttl = true;
    caps.max_value_bytes = options_.max_bytes;
    return caps;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    Entry* e = FindLive(key);
    if (e == nullptr) return NotFound(key);
    Touch(*e);
    return Item{e->value, e->meta};
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    Entry* e = FindLive(key);
    if (e == nullptr) return NotFound(key);
    return e->meta;
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Check(key, options.precondition); !s.ok()) return s;
    return Put(key, value, options.ttl);
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Check(key, precondition); !s.ok()) return s;
    Erase(key);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  // A walk of the ordered map from start_after under the lock: the page is
  // one consistent state, values included. Scanning does not count as use
  // for the lru order.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    const std::string upper = ScanUpperBound(base);
    absl::MutexLock lock(&mu_);
    ScanPage page;
    const absl::Time now = absl::Now();
    for (auto it =
             entries_.upper_bound(ScanLowerBound(base, options.start_after));
         it != entries_.end() && (upper.empty() || it->first < upper); ++it) {
      if (Expired(it->second, now)) continue;
      if (page.entries.size() == options.limit) {
        page.next_after = page.entries.back().key;
        break;
      }
      ScanEntry& entry = page.entries.emplace_back();
      entry.key = it->first;
      entry.meta = it->second.meta;
      if (options.with_values) entry.value = it->second.value;
    }
    return page;
  }

  absl::Status DoClear(const std::string& base) override {
    absl::MutexLock lock(&mu_);
    for (auto it = entries_.lower_bound(base); it != entries_.end();) {
      if (!base.empty() && it->first.compare(0, base.size(), base) != 0) break;
      if (IsUnderBase(it->first, base)) {
        bytes_ -= it->second.value.size();
        lru_.erase(it->second.lru_pos);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    absl::MutexLock lock(&mu_);
    std::vector<Conflict> conflicts;
    for (const BatchOp& op : batch.ops()) {
      std::optional<std::string> current = CurrentEtag(op.key);
      if (!PreconditionHolds(op.options.precondition, current)) {
        conflicts.push_back(Conflict{
            op.key, DescribePrecondition(op.options.precondition), current});
      }
    }
    if (!conflicts.empty()) return CommitConflictError(conflicts);
    CommitResult result;
    for (const BatchOp& op : batch.ops()) {
      std::string etag;
      if (op.kind == BatchOpKind::kPut) {
        etag = Put(op.key, op.value, op.options.ttl);
      } else if (op.kind == BatchOpKind::kDelete) {
        Erase(op.key);
      }
      result.etags.push_back(std::move(etag));
    }
    return result;
  }

 private:
  struct Entry {
    std::string value;
    Meta meta;
    std::list<std::string>::iterator lru_pos;
  };

  static std::string RandomStoreId() {
    std::random_device rd;
    return absl::StrFormat("%08x%08x", rd(), rd());
  }

  static bool Expired(const Entry& e, absl::Time now) {
    return e.meta.expires && *e.meta.expires <= now;
  }

  static absl::Status NotFound(const std::string& key) {
    return KeyNotFoundError(key);
  }

  Entry* FindLive(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (Expired(it->second, absl::Now())) {
      Erase(key);
      return nullptr;
    }
    return &it->second;
  }

  std::optional<std::string> CurrentEtag(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Entry* e = FindLive(key);
    if (e == nullptr) return std::nullopt;
    return e->meta.etag;
  }

  absl::Status Check(const std::string& key, const Precondition& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (p.empty()) return absl::OkStatus();
    return EvaluatePrecondition(key, p, CurrentEtag(key));
  }

  void Touch(Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    lru_.splice(lru_.end(), lru_, e.lru_pos);
  }

  std::string Put(const std::string& key, std::string_view value,
                  absl::Duration ttl) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time now = absl::Now();
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    if (inserted) {
      e.lru_pos = lru_.insert(lru_.end(), key);
    } else {
      bytes_ -= e.value.size();
      Touch(e);
    }
    e.value.assign(value);
    bytes_ += e.value.size();
    e.meta.etag = absl::StrFormat("%x.%s", ++counter_, store_id_);
    e.meta.mtime = now;
    e.meta.size = value.size();
    e.meta.expires = ttl > absl::ZeroDuration()
                         ? std::optional<absl::Time>(now + ttl)
                         : std::nullopt;
    std::string etag = e.meta.etag;
    EvictOverflow();
    return etag;
  }

  void Erase(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    bytes_ -= it->second.value.size();
    lru_.erase(it->second.lru_pos);
    entries_.erase(it);
  }

  void EvictOverflow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!lru_.empty() &&
           ((options_.max_entries && entries_.size() > options_.max_entries) ||
            (options_.max_bytes && bytes_ > options_.max_bytes))) {
      Erase(std::string(lru_.front()));
    }
  }

  const MemoryOptions options_;
  const std::string store_id_;
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front = least recent
  std::uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::StatusOr<std::unique_ptr<Driver>> CreateMemoryStore(
    MemoryOptions options) {
  if (options.name.empty()) {
    return absl::InvalidArgumentError("memory store needs a name");
  }
  return std::make_unique<MemoryStore>(std::move(options));
}

}  // namespace cask
