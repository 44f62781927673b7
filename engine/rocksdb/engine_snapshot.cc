// Snapshots and reads at a past revision (docs/engine.md, "Snapshots").
//
// A Snapshot holds a RocksDB snapshot: RocksDB keeps every version it can
// see until it is released, so reads through it see one state. Its revision
// is the newest change-log record it sees (every revision writes its log
// record in the same RocksDB write as its data), so it agrees with Changes.
//
// GetAt: the engine keeps only each key's newest value, plus the change log
// (which key changed at which revision, without the old values). So the
// value at revision r is known when the key's current record is at or
// before r (nothing has touched the key since), and absence at r is known
// when the log still covers r and its last event for the key at or before
// r is a removal (or there is none and the log was never trimmed). Any
// other past value was overwritten: kOutOfRange.
#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "engine_impl.h"
#include "rocksdb_status.h"

namespace cask::engine {
namespace {

std::int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// A clock under which nothing has expired: reads the raw record.
constexpr std::int64_t kBeforeAnyExpiry =
    std::numeric_limits<std::int64_t>::min();

// Whether the log event `e` ended the life of `key`'s value.
bool Removes(const LogRecord& e, const std::string& key) {
  switch (e.kind) {
    case ChangeKind::kDelete:
    case ChangeKind::kExpire:
      return e.key == key;
    case ChangeKind::kClear:
      // Clear("") leaves the reserved key space alone (cask/key.h).
      return IsUnderBase(key, e.key) &&
             (!IsReservedKey(key) || IsReservedKey(e.key));
    default:
      return false;
  }
}

}  // namespace

// A RocksDB snapshot and the clock time it was taken at.
class EngineSnapshot final : public Snapshot {
 public:
  EngineSnapshot(EngineImpl* engine, const rocksdb::Snapshot* snapshot,
                 std::uint64_t revision)
      : engine_(engine), at_{snapshot, NowMicros()}, revision_(revision) {}
  ~EngineSnapshot() override { engine_->db_->ReleaseSnapshot(at_.snapshot); }

  std::uint64_t revision() const override { return revision_; }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    return engine_->ReadItemAt(at_, key);
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    return engine_->ScanAt(base, options, at_.snapshot, *at_.now_micros);
  }

 private:
  EngineImpl* const engine_;
  const EngineImpl::ReadPoint at_;
  const std::uint64_t revision_;
};

absl::StatusOr<std::uint64_t> EngineImpl::RevisionOf(
    const rocksdb::Snapshot* snapshot, std::uint64_t committed_before) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return FromRocks(it->status(), "read change log");
    return committed_before;  // every record trimmed (or none yet)
  }
  rocksdb::Slice k = it->key();
  if (k.size() != 8) {
    return absl::DataLossError("cask engine: damaged change-log key");
  }
  // A group committed after committed_before was loaded but before the
  // snapshot: its records are visible, so they set the revision.
  return std::max(committed_before, DecodeFixed64(k.data()));
}

absl::StatusOr<std::unique_ptr<Snapshot>> EngineImpl::DoOpenSnapshot() {
  const std::uint64_t committed =
      committed_revision_.load(std::memory_order_acquire);
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  if (snapshot == nullptr) {
    return absl::UnavailableError("cask engine: cannot take a snapshot");
  }
  absl::StatusOr<std::uint64_t> revision = RevisionOf(snapshot, committed);
  if (!revision.ok()) {
    db_->ReleaseSnapshot(snapshot);
    return revision.status();
  }
  return std::unique_ptr<Snapshot>(
      std::make_unique<EngineSnapshot>(this, snapshot, *revision));
}

absl::StatusOr<Item> EngineImpl::DoGetAt(const std::string& key,
                                         std::uint64_t revision) {
  const std::uint64_t committed =
      committed_revision_.load(std::memory_order_acquire);
  rocksdb::ManagedSnapshot snapshot(db_.get());
  absl::StatusOr<std::uint64_t> current =
      RevisionOf(snapshot.snapshot(), committed);
  if (!current.ok()) return current.status();
  if (revision > *current) {
    return absl::OutOfRangeError(absl::StrCat(
        "cask engine: revision ", revision,
        " is ahead of the store (its newest revision is ", *current, ")"));
  }
  const ReadPoint at{snapshot.snapshot(), NowMicros()};
  absl::StatusOr<std::optional<MetaRecord>> meta =
      ReadMetaAt(ReadPoint{at.snapshot, kBeforeAnyExpiry}, key, nullptr);
  if (!meta.ok()) return meta.status();
  if (meta->has_value() && (*meta)->revision <= revision) {
    // Untouched since `revision`: its value then is its value now.
    if (at.Expired(**meta)) {
      // Reads never return an expired value; when the expiry fell between
      // `revision` and now is not recorded until the reaper logs it.
      if (revision == *current) {
        return absl::NotFoundError(absl::StrCat("key \"", key, "\" not found"));
      }
      return absl::OutOfRangeError(absl::StrCat(
          "cask engine: key \"", key, "\" has expired since revision ",
          revision, "; its value then is no longer returned"));
    }
    return ReadItemAt(at, key);
  }
  return GetAtFromLog(at, key, revision);
}

absl::StatusOr<Item> EngineImpl::GetAtFromLog(const ReadPoint& at,
                                              const std::string& key,
                                              std::uint64_t revision) {
  if (revision == 0) {
    // Revision 0 is the new, empty store.
    return absl::NotFoundError(
        absl::StrCat("key \"", key, "\" not found at revision 0"));
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = at.snapshot;
  std::string trimmed_bytes;
  rocksdb::Status s = db_->Get(ro, sys_cf_, kSysTrimmed, &trimmed_bytes);
  if (!s.ok()) return FromRocks(s, "read change-log retention");
  if (trimmed_bytes.size() != 8) {
    return absl::DataLossError("cask engine: damaged change-log retention");
  }
  const std::uint64_t trimmed = DecodeFixed64(trimmed_bytes.data());
  const auto out_of_range = [&](const std::string& why) {
    return absl::OutOfRangeError(absl::StrCat("cask engine: the value of \"",
                                              key, "\" at revision ", revision,
                                              " is no longer held: ", why));
  };
  if (trimmed >= revision) {
    return out_of_range(
        absl::StrCat("the change log was trimmed through revision ", trimmed));
  }
  // The newest event for the key at or before `revision`, walking back.
  // Costs one log record per revision in between (docs/engine.md).
  const std::string lower = EncodeFixed64(trimmed + 1);
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  for (it->SeekForPrev(EncodeFixed64(revision)); it->Valid(); it->Prev()) {
    rocksdb::Slice k = it->key(), v = it->value();
    absl::StatusOr<LogRecord> record =
        DecodeLogRecord(std::string_view(k.data(), k.size()),
                        std::string_view(v.data(), v.size()));
    if (!record.ok()) return record.status();
    if (Removes(*record, key)) {
      return absl::NotFoundError(
          absl::StrCat("key \"", key, "\" not found at revision ", revision,
                       " (removed at revision ", record->revision, ")"));
    }
    if (record->kind == ChangeKind::kPut && record->key == key) {
      return out_of_range(absl::StrCat(
          "it was written at revision ", record->revision,
          " and has been replaced or removed since; the engine keeps only "
          "the newest value of a key"));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read change log");
  if (trimmed > 0) {
    return out_of_range(
        absl::StrCat("the change log was trimmed through revision ", trimmed,
                     " and nothing after it names the key"));
  }
  // The whole history is in the log and never mentions the key.
  return absl::NotFoundError(
      absl::StrCat("key \"", key, "\" not found at revision ", revision));
}

}  // namespace cask::engine
