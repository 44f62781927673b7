// The change log's readers (Changes, Watch) and the background work: the
// TTL reaper, the log trimmer and, in buffered mode, the WAL sync.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"
#include "engine_impl.h"
#include "rocksdb_status.h"

namespace cask::engine {
namespace {

// Most events a watcher reads per step, and most expired keys reaped per
// write request.
constexpr std::size_t kWatchStep = 256;
constexpr std::size_t kReapStep = 1000;

bool WatchWants(const std::string& base, const ChangeEvent& e) {
  if (e.kind != ChangeKind::kClear) return IsUnderBase(e.key, base);
  // A clear of base B concerns a watch on W when B lies under W or W under
  // B (or they are the same subtree).
  return e.key == base || IsUnderBase(e.key, base) || IsUnderBase(base, e.key);
}

}  // namespace

// Delivers events on its own thread until destroyed.
class WatchSubscription final : public Subscription {
 public:
  WatchSubscription(EngineImpl* engine, std::string base,
                    std::uint64_t after_revision, WatchCallback callback)
      : engine_(engine),
        base_(std::move(base)),
        cursor_(after_revision),
        callback_(std::move(callback)) {
    engine_->watchers_.fetch_add(1);
    thread_ = std::thread([this] { Run(); });
  }

  ~WatchSubscription() override {
    stop_.store(true);
    {
      absl::MutexLock lock(&engine_->notify_mu_);
      engine_->notify_cv_.SignalAll();
    }
    thread_.join();
    engine_->watchers_.fetch_sub(1);
  }

 private:
  void Run() {
    while (!stop_.load()) {
      absl::StatusOr<std::vector<ChangeEvent>> events =
          engine_->DoChanges(cursor_, kWatchStep);
      if (!events.ok()) {
        // The callback cannot receive a status; never skip silently: stop
        // delivering and say why.
        std::fprintf(stderr,
                     "cask engine: watch of \"%s\" stopped after revision "
                     "%llu: %s\n",
                     base_.c_str(), static_cast<unsigned long long>(cursor_),
                     events.status().ToString().c_str());
        return;
      }
      for (ChangeEvent& e : *events) {
        if (stop_.load()) return;
        cursor_ = e.revision;
        if (WatchWants(base_, e)) callback_(e);
      }
      if (events->size() < kWatchStep) {
        engine_->WaitForCommit(cursor_, stop_, absl::Seconds(1));
      }
    }
  }

  EngineImpl* const engine_;
  const std::string base_;
  std::uint64_t cursor_;
  WatchCallback callback_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

absl::StatusOr<std::vector<ChangeEvent>> EngineImpl::DoChanges(
    std::uint64_t after_revision, std::size_t limit) {
  std::vector<ChangeEvent> out;
  // One snapshot for the trim mark and the records, so a concurrent trim
  // can never show up as a gap.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string trimmed;
  rocksdb::Status s = db_->Get(ro, sys_cf_, kSysTrimmed, &trimmed);
  if (!s.ok()) return FromRocks(s, "read change-log retention");
  if (trimmed.size() != 8) {
    return absl::DataLossError("cask engine: damaged change-log retention");
  }
  std::uint64_t trimmed_through = DecodeFixed64(trimmed.data());
  if (after_revision < trimmed_through) {
    return absl::OutOfRangeError(absl::StrCat(
        "cask engine: change log compacted: events up to revision ",
        trimmed_through, " were trimmed; asked for events after ",
        after_revision));
  }
  if (limit == 0) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  for (it->Seek(EncodeFixed64(after_revision + 1));
       it->Valid() && out.size() < limit; it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    absl::StatusOr<LogRecord> record =
        DecodeLogRecord(std::string_view(k.data(), k.size()),
                        std::string_view(v.data(), v.size()));
    if (!record.ok()) return record.status();
    out.push_back(ToEvent(*std::move(record)));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read change log");
  return out;
}

absl::StatusOr<std::unique_ptr<Subscription>> EngineImpl::DoWatch(
    const std::string& base, std::uint64_t after_revision,
    WatchCallback callback) {
  // Refuse a start below the retention now rather than on the thread.
  absl::StatusOr<std::vector<ChangeEvent>> probe = DoChanges(after_revision, 0);
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<Subscription>(std::make_unique<WatchSubscription>(
      this, base, after_revision, std::move(callback)));
}

void EngineImpl::NotifyCommitted(std::uint64_t /*revision*/) {
  if (watchers_.load() == 0) return;
  absl::MutexLock lock(&notify_mu_);
  notify_cv_.SignalAll();
}

void EngineImpl::WaitForCommit(std::uint64_t revision,
                               const std::atomic<bool>& stop,
                               absl::Duration timeout) {
  absl::MutexLock lock(&notify_mu_);
  absl::Time deadline = absl::Now() + timeout;
  while (committed_revision_.load() <= revision && !stop.load()) {
    if (notify_cv_.WaitWithDeadline(&notify_mu_, deadline)) return;
  }
}

void EngineImpl::MaintenanceLoop() {
  absl::Duration step = options_.maintenance_interval;
  if (options_.durability == Durability::kBuffered) {
    step = std::min(step, options_.buffered_sync_interval);
  }
  absl::Time last_maintenance = absl::Now();
  for (;;) {
    {
      absl::MutexLock lock(&bg_mu_);
      if (bg_mu_.AwaitWithTimeout(absl::Condition(&stopping_), step)) return;
    }
    if (options_.durability == Durability::kBuffered) SyncWal();
    if (absl::Now() - last_maintenance >= options_.maintenance_interval) {
      // Errors here repeat on the next round and surface on writes.
      RunMaintenance().IgnoreError();
      last_maintenance = absl::Now();
    }
  }
}

void EngineImpl::SyncWal() {
  // Under the write mutex: RocksDB's WAL writer must not be synced again
  // once a write on it failed (its debug builds abort), and only a writer
  // holding this mutex can have failed.
  absl::MutexLock lock(&write_mu_);
  if (!write_error_.ok()) return;
  rocksdb::Status s = db_->FlushWAL(/*sync=*/true);
  if (!s.ok()) write_error_ = FromRocks(s, "sync the WAL");
}

absl::Status EngineImpl::RunMaintenance() {
  absl::Status reap = ReapExpired();
  absl::Status trim = TrimLog();
  return reap.ok() ? trim : reap;
}

absl::Status EngineImpl::ReapExpired() {
  for (;;) {
    std::string upper = EncodeFixed64(
        static_cast<std::uint64_t>(absl::ToUnixMicros(absl::Now())) + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    WriteRequest r;
    r.kind = WriteRequest::Kind::kExpire;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ttl_cf_));
    for (it->SeekToFirst(); it->Valid() && r.expiries.size() < kReapStep;
         it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (k.size() < 8 || v.size() != 8) {
        return absl::DataLossError("cask engine: damaged expiry index");
      }
      r.expiries.push_back(WriteRequest::Expiry{
          std::string(k.data() + 8, k.size() - 8), DecodeFixed64(v.data()),
          static_cast<std::int64_t>(DecodeFixed64(k.data()))});
    }
    if (!it->status().ok()) return FromRocks(it->status(), "read expiries");
    if (r.expiries.empty()) return absl::OkStatus();
    bool more = r.expiries.size() == kReapStep;
    Submit(&r);
    if (!r.status.ok()) return r.status;
    if (!more) return absl::OkStatus();
  }
}

absl::Status EngineImpl::TrimLog() {
  absl::MutexLock lock(&write_mu_);
  if (!write_error_.ok()) return write_error_;
  const std::uint64_t last = committed_revision_.load();
  const std::uint64_t trimmed = trimmed_through_.load();
  std::uint64_t cut = trimmed;
  if (options_.log_retention_count > 0 && last > options_.log_retention_count) {
    cut = std::max(cut, last - options_.log_retention_count);
  }
  if (options_.log_retention_age > absl::ZeroDuration()) {
    std::int64_t oldest_kept =
        absl::ToUnixMicros(absl::Now() - options_.log_retention_age);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
    std::size_t scanned = 0;
    for (it->Seek(EncodeFixed64(cut + 1)); it->Valid() && scanned < 100000;
         it->Next(), ++scanned) {
      rocksdb::Slice k = it->key(), v = it->value();
      absl::StatusOr<LogRecord> record =
          DecodeLogRecord(std::string_view(k.data(), k.size()),
                          std::string_view(v.data(), v.size()));
      if (!record.ok()) return record.status();
      if (record->time_micros >= oldest_kept) break;
      cut = record->revision;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "trim change log");
  }
  if (cut <= trimmed) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  batch.DeleteRange(log_cf_, EncodeFixed64(trimmed + 1),
                    EncodeFixed64(cut + 1));
  batch.Put(sys_cf_, kSysTrimmed, EncodeFixed64(cut));
  batch.Put(sys_cf_, kSysRevision, EncodeFixed64(last));
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::kDurable;
  if (rocksdb::Status s = db_->Write(wo, &batch); !s.ok()) {
    write_error_ = FromRocks(s, "trim change log");
    return write_error_;
  }
  trimmed_through_.store(cut);
  return absl::OkStatus();
}

}  // namespace cask::engine
