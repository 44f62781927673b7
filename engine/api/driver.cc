// The checks every Driver call passes before a store sees it.
#include "cask/driver.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "scan_args.h"

namespace cask {
namespace {

// Refuses what the store cannot honour, before anything reaches it.
absl::Status CheckWrite(std::string_view store, const Capabilities& caps,
                        const std::string& key, std::uint64_t value_size,
                        const WriteOptions& options) {
  if (absl::Status s = ValidatePrecondition(options.precondition); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", QuoteForMessage(key), ": ", s.message()));
  }
  if (options.ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", QuoteForMessage(key), ": negative ttl"));
  }
  if (!options.precondition.empty() && !caps.cas) {
    return CasUnsupportedError(
        absl::StrCat(ToAbsl(store), " cannot evaluate ",
                     DescribePrecondition(options.precondition),
                     " atomically (key ", QuoteForMessage(key), ")"));
  }
  if (options.ttl > absl::ZeroDuration() && !caps.ttl) {
    return absl::UnimplementedError(absl::StrCat(ToAbsl(store),
                                                 " does not support ttl (key ",
                                                 QuoteForMessage(key), ")"));
  }
  if (caps.max_value_bytes != 0 && value_size > caps.max_value_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("value for key ", QuoteForMessage(key), " is ", value_size,
                     " bytes, over the limit of ", caps.max_value_bytes,
                     " bytes for ", ToAbsl(store)));
  }
  return absl::OkStatus();
}

// An event of cask's own key space (a clear of the whole store is not).
bool IsReservedEvent(const ChangeEvent& e) {
  return !e.key.empty() && IsReservedKey(e.key);
}

// What GetInto leaves on error: an empty Item whose strings keep their
// capacity for the caller's next read.
void ClearKeepingBuffers(Item* item) {
  item->value.clear();
  item->meta.etag.clear();
  item->meta.mtime = absl::Time();
  item->meta.size = 0;
  item->meta.expires.reset();
  item->meta.revision = 0;
}

}  // namespace

absl::StatusOr<Item> Driver::Get(std::string_view key) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  return DoGet(*k);
}

absl::Status Driver::GetInto(std::string_view key, Item* item) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  absl::Status s = k.ok() ? DoGetInto(*k, item) : k.status();
  if (!s.ok()) ClearKeepingBuffers(item);
  return s;
}

absl::Status Driver::DoGetInto(const std::string& key, Item* item) {
  absl::StatusOr<Item> got = DoGet(key);
  if (!got.ok()) return got.status();
  *item = *std::move(got);
  return absl::OkStatus();
}

absl::StatusOr<Meta> Driver::GetMeta(std::string_view key) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  return DoGetMeta(*k);
}

absl::StatusOr<bool> Driver::Has(std::string_view key) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  return DoHas(*k);
}

absl::StatusOr<std::string> Driver::Set(std::string_view key,
                                        std::string_view value,
                                        const WriteOptions& options) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  if (absl::Status s =
          CheckWrite(name(), CapabilitiesFor(*k), *k, value.size(), options);
      !s.ok()) {
    return s;
  }
  return DoSet(*k, value, options);
}

absl::Status Driver::Remove(std::string_view key,
                            const Precondition& precondition) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  if (absl::Status s = CheckWrite(name(), CapabilitiesFor(*k), *k, 0,
                                  WriteOptions{precondition});
      !s.ok()) {
    return s;
  }
  return DoRemove(*k, precondition);
}

absl::StatusOr<std::vector<std::string>> Driver::Keys(std::string_view base) {
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  absl::StatusOr<std::vector<std::string>> keys = DoKeys(*b);
  if (!keys.ok()) return keys;
  if (!IsReservedKey(*b)) std::erase_if(*keys, IsReservedKey);
  std::sort(keys->begin(), keys->end());
  return keys;
}

absl::StatusOr<ScanPage> Driver::Scan(std::string_view base,
                                      const ScanOptions& options) {
  return internal::CheckedScan(
      base, options, [this](const std::string& b, const ScanOptions& o) {
        return DoScan(b, o);
      });
}

absl::StatusOr<std::vector<std::string>> Driver::KeysByScan(
    const std::string& base) {
  std::vector<std::string> keys;
  ScanOptions options;
  options.limit = 1000;
  do {
    absl::StatusOr<ScanPage> page = DoScan(base, options);
    if (!page.ok()) return page.status();
    for (ScanEntry& e : page->entries) keys.push_back(std::move(e.key));
    options.start_after = std::move(page->next_after);
  } while (!options.start_after.empty());
  return keys;
}

absl::StatusOr<std::unique_ptr<Snapshot>> Driver::OpenSnapshot() {
  if (!capabilities().snapshot) {
    return absl::UnimplementedError(
        absl::StrCat(ToAbsl(name()), " cannot take a snapshot"));
  }
  return DoOpenSnapshot();
}

absl::StatusOr<Item> Driver::GetAt(std::string_view key,
                                   std::uint64_t revision) {
  absl::StatusOr<std::string> k = NormalizeKey(key);
  if (!k.ok()) return k.status();
  if (!capabilities().get_at) {
    return absl::UnimplementedError(
        absl::StrCat(ToAbsl(name()), " cannot read a past revision"));
  }
  return DoGetAt(*k, revision);
}

absl::Status Driver::Clear(std::string_view base) {
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  return DoClear(*b);
}

absl::StatusOr<CommitResult> Driver::Commit(const Batch& batch) {
  // The normalised keys, in batch order. The batch itself (values and all)
  // is copied only when a key changed in normalisation: callers that pass
  // normal keys, as most do, never pay for a copy.
  std::vector<std::string> keys;
  keys.reserve(batch.size());
  absl::flat_hash_set<std::string_view> seen;
  seen.reserve(batch.size());
  bool renamed = false;
  for (const BatchOp& op : batch.ops()) {
    absl::StatusOr<std::string> k = NormalizeKey(op.key);
    if (!k.ok()) return k.status();
    // `keys` never reallocates (reserved above), so views into it stay valid.
    const std::string& key = keys.emplace_back(*std::move(k));
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key ", QuoteForMessage(key), " appears twice in one batch"));
    }
    if (op.kind == BatchOpKind::kVerify && op.options.precondition.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "verify of key ", QuoteForMessage(key), " has no precondition"));
    }
    if (op.kind != BatchOpKind::kPut &&
        op.options.ttl != absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ttl given for a non-put of key ", QuoteForMessage(key)));
    }
    if (absl::Status s = CheckWrite(name(), CapabilitiesFor(key), key,
                                    op.value.size(), op.options);
        !s.ok()) {
      return s;
    }
    renamed = renamed || key != op.key;
  }
  if (!capabilities().atomic_batch) {
    return CasUnsupportedError(
        absl::StrCat(ToAbsl(name()), " cannot commit a batch atomically"));
  }
  if (batch.empty()) return CommitResult{};
  if (!renamed) return DoCommit(batch);
  Batch normalised = batch;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    normalised.mutable_ops()[i].key = std::move(keys[i]);
  }
  return DoCommit(normalised);
}

absl::StatusOr<std::vector<ChangeEvent>> Driver::Changes(
    std::uint64_t after_revision, std::size_t limit) {
  if (!capabilities().watch) {
    return absl::UnimplementedError(
        absl::StrCat(ToAbsl(name()), " has no change log"));
  }
  // Events of the reserved key space are dropped. A page made only of them
  // must not read as "caught up" while later events exist, so read on
  // until something is left or the log ends. The first page reads exactly
  // `limit` records, so a caller never sees an error from a record past
  // what it asked for; later pages read at least 256, so a small limit
  // does not crawl through a run of reserved events.
  if (limit == 0) return DoChanges(after_revision, 0);
  for (std::size_t page = limit;; page = std::max<std::size_t>(limit, 256)) {
    absl::StatusOr<std::vector<ChangeEvent>> events =
        DoChanges(after_revision, page);
    if (!events.ok() || events->empty()) return events;
    std::uint64_t last = events->back().revision;
    std::erase_if(*events, IsReservedEvent);
    if (events->size() > limit) {
      // Never split the events of one revision (one etcd transaction): a
      // caller resumes after the last revision it saw.
      std::size_t n = limit;
      while (n < events->size() &&
             (*events)[n].revision == (*events)[n - 1].revision) {
        ++n;
      }
      events->resize(n);
    }
    if (!events->empty()) return events;
    after_revision = last;
  }
}

absl::StatusOr<std::uint64_t> Driver::CurrentRevision() {
  // Not gated on capabilities().watch: a store without a log may still
  // count its writes (Redis); DoCurrentRevision's default refuses.
  return DoCurrentRevision();
}

absl::StatusOr<std::unique_ptr<Subscription>> Driver::Watch(
    std::string_view base, std::uint64_t after_revision,
    WatchCallback callback) {
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  if (!capabilities().watch) {
    return absl::UnimplementedError(
        absl::StrCat(ToAbsl(name()), " has no change log"));
  }
  if (!callback) return absl::InvalidArgumentError("watch without a callback");
  if (!IsReservedKey(*b)) {
    callback = [inner = std::move(callback)](const ChangeEvent& e) {
      if (!IsReservedEvent(e)) inner(e);
    };
  }
  return DoWatch(*b, after_revision, std::move(callback));
}

absl::StatusOr<bool> Driver::DoHas(const std::string& key) {
  absl::StatusOr<Meta> meta = DoGetMeta(key);
  if (meta.ok()) return true;
  if (meta.status().code() == absl::StatusCode::kNotFound) return false;
  return meta.status();
}

absl::StatusOr<CommitResult> Driver::DoCommit(const Batch&) {
  return CasUnsupportedError(
      absl::StrCat(ToAbsl(name()), " cannot commit a batch atomically"));
}

absl::StatusOr<std::vector<ChangeEvent>> Driver::DoChanges(std::uint64_t,
                                                           std::size_t) {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(name()), " has no change log"));
}

absl::StatusOr<std::uint64_t> Driver::DoCurrentRevision() {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(name()), " cannot report its current revision"));
}

absl::StatusOr<std::unique_ptr<Subscription>> Driver::DoWatch(
    const std::string&, std::uint64_t, WatchCallback) {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(name()), " has no change log"));
}

absl::StatusOr<ScanPage> Driver::DoScan(const std::string&,
                                        const ScanOptions&) {
  return absl::UnimplementedError(absl::StrCat(ToAbsl(name()), " cannot scan"));
}

absl::StatusOr<std::unique_ptr<Snapshot>> Driver::DoOpenSnapshot() {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(name()), " cannot take a snapshot"));
}

absl::StatusOr<Item> Driver::DoGetAt(const std::string&, std::uint64_t) {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(name()), " cannot read a past revision"));
}

}  // namespace cask
