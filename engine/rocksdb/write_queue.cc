// The write path: a queue of requests, group commit, and the evaluation of
// preconditions against the state that includes earlier requests of the
// same group.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "batch_ingest.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "engine_impl.h"
#include "outcome_record.h"
#include "rocksdb_status.h"
#include "testing.h"

namespace cask::engine {

namespace {
std::atomic<std::uint64_t> g_synced_writes{0};
std::atomic<std::uint64_t> g_ingested_groups{0};
// Durable writers sleep on one futex word per engine, `turns_given`, which
// a leader bumps after giving turns; it then wakes the whole group with one
// FUTEX_WAKE. A wake-up per writer cost the leader about 4 us each (a
// system call, and on two cores often a preemption by the writer it just
// woke), 16 writers' worth of it on the path to the next group
// (docs/benchmarks/engine.md, "Design 3"). A writer of a later group woken
// with them finds its turn unchanged and sleeps again.
// std::atomic::wait would do, but libstdc++ first spins with sched_yield,
// which on two cores takes the CPU from the leader that is to wake it.
void SleepUntilTurn(std::atomic<std::uint32_t>& turns_given,
                    const WriteRequest& request) {
  static_assert(sizeof(turns_given) == sizeof(std::uint32_t));
  for (;;) {
    // Read the word before the turn: a leader gives the turn before it
    // bumps the word, so a bump after this read fails the FUTEX_WAIT.
    const std::uint32_t seen = turns_given.load(std::memory_order_seq_cst);
    if (request.turn.load(std::memory_order_seq_cst) !=
        WriteRequest::Turn::kWait) {
      return;
    }
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&turns_given),
                  FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
  }
}

void WakeTurns(std::atomic<std::uint32_t>& turns_given) {
  turns_given.fetch_add(1, std::memory_order_seq_cst);
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&turns_given),
                FUTEX_WAKE_PRIVATE, std::numeric_limits<int>::max(), nullptr,
                nullptr, 0);
}

// Buffered mode: how long a follower polls for its turn before it sleeps
// in the queue mutex. A buffered group takes a few microseconds, so on a
// quiet machine the turn comes within a poll, while a sleep costs the
// leader a futex wake-up and the sleeper tens of microseconds to run again
// (a halted vCPU restarted by the host): an owner's writer and its ring
// server, waiting for each other's groups, made two processes slower than
// one (docs/benchmarks/processes.md). On a busy machine a yield hands the
// CPU to another process for a whole time slice, while a woken sleeper
// runs at once; there polling costs more than it saves. So a follower
// polls as long as `budget` (the followers' SpinBudget) says, not at all
// while waits average more than its maximum, and stops at the first yield
// that lost the CPU for longer than kMaxYieldNanos (another process ran).
constexpr std::int64_t kMaxYieldNanos = 20'000;

// Polls the request's turn as above; returns whether it was given. Records
// the wait in `budget` when it ends here.
bool PollForTurn(WriteRequest* request, ipc::SpinBudget& budget) {
  const std::int64_t start = absl::GetCurrentTimeNanos();
  if (budget.waits_exceed_max()) {
    // Count the sleep this wait will be as a short one, so that polling
    // is tried again after a while (a wake-up runs at once on a busy
    // machine).
    budget.Observe(ipc::SpinBudget::kMinSpin);
    return false;
  }
  const std::int64_t until = start + budget.nanos();
  std::int64_t now = start;
  while (request->turn.load(std::memory_order_acquire) ==
         WriteRequest::Turn::kWait) {
    if (now >= until) {
      budget.Observe(now - start);
      return false;
    }
    sched_yield();
    const std::int64_t after = absl::GetCurrentTimeNanos();
    if (after - now > kMaxYieldNanos) {
      budget.Observe(4 * budget.max_spin());  // busy: sleep for a while
      return request->turn.load(std::memory_order_acquire) !=
             WriteRequest::Turn::kWait;
    }
    now = after;
  }
  budget.Observe(absl::GetCurrentTimeNanos() - start);
  return true;
}

}  // namespace

std::uint64_t TEST_SyncedWrites() { return g_synced_writes.load(); }
std::uint64_t TEST_IngestedGroups() { return g_ingested_groups.load(); }

// Most requests and value bytes gathered into one RocksDB write (a group
// always takes at least one request).
constexpr std::size_t kMaxGroupRequests = 1024;
constexpr std::size_t kMaxGroupBytes = 16u << 20;
// Bound of EngineImpl::recent_: when full, about 2.6 MB of table (80-byte
// slots) plus the keys longer than 15 bytes. Writers cycling over more keys
// than this pay a RocksDB read per write in the leader, which is the one thread
// that applies groups: with 4096, the leader of 16 durable writers over
// 16 000 keys spent a tenth of its CPU on those reads.
constexpr std::size_t kRecentWrites = 16384;
// Durable mode: how long a new leader waits for the writers of the previous
// group to queue again. They were all answered together by one fsync, so
// the first to come back would otherwise lead (and fsync) a group of one
// while the rest queue behind it: groups alternate 1, n-1, 1, n-1 and half
// the fsyncs carry one write. Far below an fsync, so a writer that does
// not come back costs little (PostgreSQL's commit_delay, MySQL's
// binlog_group_commit_sync_delay).
constexpr absl::Duration kDurableGatherDelay = absl::Microseconds(200);

// One group being applied: the WriteBatch being built and the overlay of
// the keys it has written so far. Used by the leader under write_mu_.
class EngineImpl::Group {
 public:
  explicit Group(EngineImpl* engine)
      : e_(engine), now_(absl::ToUnixMicros(absl::Now())) {}

  rocksdb::WriteBatch& batch() { return batch_; }
  std::uint64_t last_revision() const { return e_->next_revision_ - 1; }

  void Apply(WriteRequest* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    switch (r->kind) {
      case WriteRequest::Kind::kCommit:
        ApplyCommit(r);
        break;
      case WriteRequest::Kind::kClear:
        r->status = ApplyClear(r->base);
        r->result.revision = last_revision();
        break;
      case WriteRequest::Kind::kExpire:
        r->status = ApplyExpiries(r->expiries);
        break;
    }
    if (r->status.ok() && r->context != nullptr &&
        !r->context->outcome_key.empty()) {
      batch_.Put(e_->sys_cf_, r->context->outcome_key,
                 EncodeOutcomeRecord(r->result, now_));
    }
  }

 private:
  // The key's record as of this point of the group, expired or not.
  absl::StatusOr<std::optional<MetaRecord>> Lookup(const std::string& key) {
    if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
    if (auto it = e_->recent_.find(key); it != e_->recent_.end()) {
      return it->second;
    }
    rocksdb::PinnableSlice slice;
    rocksdb::Status s =
        e_->db_->Get(LatestReadOptions(), e_->meta_cf_, key, &slice);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok())
      return FromRocks(s, absl::StrCat("read ", QuoteForMessage(key)));
    absl::StatusOr<MetaRecord> meta =
        DecodeMeta(std::string_view(slice.data(), slice.size()), nullptr);
    if (!meta.ok()) {
      return absl::DataLossError(absl::StrCat(
          meta.status().message(), " for key ", QuoteForMessage(key)));
    }
    return *meta;
  }

  bool Live(const std::optional<MetaRecord>& m) const {
    return m.has_value() && !m->ExpiredAt(now_);
  }

  // The etag of a live record, formatted on the stack; nullopt otherwise.
  std::optional<EtagText> EtagOf(const std::optional<MetaRecord>& m) const {
    if (!Live(m)) return std::nullopt;
    return EtagText(m->revision, e_->store_id_);
  }

  void ApplyCommit(WriteRequest* r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    std::vector<std::optional<MetaRecord>> olds;
    olds.reserve(r->ops.size());
    std::vector<Conflict> conflicts;
    for (const WriteRequest::Op& op : r->ops) {
      absl::StatusOr<std::optional<MetaRecord>> old = Lookup(*op.key);
      if (!old.ok()) {
        r->status = old.status();
        return;
      }
      olds.push_back(*old);
      if (op.precondition == nullptr || op.precondition->empty()) continue;
      const std::optional<EtagText> current = EtagOf(*old);
      std::optional<std::string_view> current_view;
      if (current) current_view = current->view();
      if (!PreconditionHolds(*op.precondition, current_view)) {
        std::optional<std::string> actual;
        if (current) actual = current->str();
        if (r->single) {
          r->status = CasMismatchError(*op.key, actual);
          return;
        }
        conflicts.push_back(Conflict{*op.key,
                                     DescribePrecondition(*op.precondition),
                                     std::move(actual)});
      }
    }
    if (!conflicts.empty()) {
      r->status = CommitConflictError(conflicts);
      return;
    }
    r->result.etags.reserve(r->ops.size());
    for (std::size_t i = 0; i < r->ops.size(); ++i) {
      const WriteRequest::Op& op = r->ops[i];
      std::string etag;
      if (op.kind == BatchOpKind::kPut) {
        etag = Put(*op.key, op.value, op.ttl, olds[i]);
      } else if (op.kind == BatchOpKind::kDelete && Live(olds[i])) {
        Delete(*op.key, *olds[i], ChangeKind::kDelete);
      }
      r->result.etags.push_back(std::move(etag));
    }
    r->result.revision = last_revision();
  }

  std::string Put(const std::string& key, std::string_view value,
                  absl::Duration ttl, const std::optional<MetaRecord>& old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    MetaRecord m;
    m.revision = e_->next_revision_++;
    m.mtime_micros = now_;
    if (ttl > absl::ZeroDuration()) {
      std::int64_t micros = absl::ToInt64Microseconds(ttl);
      m.expires_micros =
          micros >= std::numeric_limits<std::int64_t>::max() - now_
              ? std::numeric_limits<std::int64_t>::max()
              : now_ + std::max<std::int64_t>(micros, 1);
    }
    m.size = value.size();
    m.out_of_line = value.size() >= e_->options_.min_blob_size;
    const std::array<char, kMetaHeaderBytes> header_bytes = EncodeMetaHeader(m);
    const rocksdb::Slice header(header_bytes.data(), header_bytes.size());
    rocksdb::Slice key_slice(key);
    if (m.out_of_line) {
      batch_.Put(e_->meta_cf_, key_slice, header);
      std::string rev = EncodeFixed64(m.revision);
      rocksdb::Slice parts[2] = {rev,
                                 rocksdb::Slice(value.data(), value.size())};
      batch_.Put(e_->data_cf_, rocksdb::SliceParts(&key_slice, 1),
                 rocksdb::SliceParts(parts, 2));
    } else {
      rocksdb::Slice parts[2] = {header,
                                 rocksdb::Slice(value.data(), value.size())};
      batch_.Put(e_->meta_cf_, rocksdb::SliceParts(&key_slice, 1),
                 rocksdb::SliceParts(parts, 2));
      if (old && old->out_of_line) batch_.Delete(e_->data_cf_, key_slice);
    }
    if (old && old->expires_micros != 0) {
      batch_.Delete(e_->ttl_cf_, EncodeTtlKey(old->expires_micros, key));
    }
    if (m.expires_micros != 0) {
      batch_.Put(e_->ttl_cf_, EncodeTtlKey(m.expires_micros, key),
                 EncodeFixed64(m.revision));
    }
    const EtagText etag(m.revision, e_->store_id_);
    Log(LogRecordView{m.revision, ChangeKind::kPut, now_, m.size, key,
                      etag.view()});
    overlay_[key] = m;
    return etag.str();
  }

  // Removes the key's records; logs `kind` unless it is kClear (a clear
  // logs one record for the whole base).
  void Delete(const std::string& key, const MetaRecord& old, ChangeKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    batch_.Delete(e_->meta_cf_, key);
    if (old.out_of_line) batch_.Delete(e_->data_cf_, key);
    if (old.expires_micros != 0) {
      batch_.Delete(e_->ttl_cf_, EncodeTtlKey(old.expires_micros, key));
    }
    if (kind != ChangeKind::kClear) {
      Log(LogRecordView{e_->next_revision_++, kind, now_, 0, key, ""});
    }
    overlay_[key] = std::nullopt;
  }

  absl::Status ApplyClear(const std::string& base)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    std::vector<std::pair<std::string, MetaRecord>> doomed;
    rocksdb::ReadOptions ro;
    std::string lower = base.empty() ? "" : absl::StrCat(base, ":");
    std::string upper = absl::StrCat(base, ";");
    rocksdb::Slice upper_slice(upper);
    if (!base.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(
        e_->db_->NewIterator(ro, e_->meta_cf_));
    for (it->Seek(lower); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      if (overlay_.contains(key)) continue;  // handled below
      if (IsReservedKey(key) && !IsReservedKey(base)) continue;
      rocksdb::Slice v = it->value();
      absl::StatusOr<MetaRecord> meta =
          DecodeMeta(std::string_view(v.data(), v.size()), nullptr);
      if (!meta.ok()) return meta.status();
      doomed.emplace_back(std::move(key), *meta);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "clear");
    for (const auto& [key, meta] : overlay_) {
      if (meta.has_value() && IsUnderBase(key, base) &&
          (!IsReservedKey(key) || IsReservedKey(base))) {
        doomed.emplace_back(key, *meta);
      }
    }
    for (const auto& [key, meta] : doomed) {
      Delete(key, meta, ChangeKind::kClear);
    }
    Log(LogRecordView{e_->next_revision_++, ChangeKind::kClear, now_, 0, base,
                      ""});
    return absl::OkStatus();
  }

  absl::Status ApplyExpiries(const std::vector<WriteRequest::Expiry>& items)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    for (const WriteRequest::Expiry& x : items) {
      absl::StatusOr<std::optional<MetaRecord>> old = Lookup(x.key);
      if (!old.ok()) return old.status();
      const std::optional<MetaRecord>& m = *old;
      if (m && m->revision == x.revision && m->ExpiredAt(now_)) {
        Delete(x.key, *m, ChangeKind::kExpire);
      } else if (!m || m->expires_micros != x.indexed_expiry) {
        // A stale index entry: drop it.
        batch_.Delete(e_->ttl_cf_, EncodeTtlKey(x.indexed_expiry, x.key));
      }
    }
    return absl::OkStatus();
  }

 public:
  // After a successful write: remember what the group wrote.
  void Remember() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e_->write_mu_) {
    if (e_->recent_.size() + overlay_.size() > kRecentWrites) {
      e_->recent_.clear();
    }
    if (overlay_.size() > kRecentWrites) return;
    for (auto& [key, meta] : overlay_) e_->recent_[key] = meta;
  }

 private:
  void Log(const LogRecordView& record) {
    EncodeLogRecord(record, &log_buffer_);
    batch_.Put(e_->log_cf_, EncodeFixed64(record.revision), log_buffer_);
  }

  EngineImpl* const e_;
  const std::int64_t now_;
  rocksdb::WriteBatch batch_;
  // Reused for every log record of the group (the batch copies it).
  std::string log_buffer_;
  absl::flat_hash_map<std::string, std::optional<MetaRecord>> overlay_;
};

void EngineImpl::Submit(WriteRequest* request) {
  using Turn = WriteRequest::Turn;
  const bool durable = options_.durability == Durability::kDurable;
  bool lead = false;
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(request);
    lead = !leader_active_;
    leader_active_ = true;
  }
  if (!lead) {
    if (durable) {
      SleepUntilTurn(turns_given_, *request);
    } else if (!PollForTurn(request, follower_spin_)) {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](WriteRequest* r) {
            return r->turn.load(std::memory_order_relaxed) != Turn::kWait;
          },
          request));
    }
    if (request->turn.load(std::memory_order_acquire) == Turn::kDone) return;
  }
  // This thread leads.
  std::vector<WriteRequest*> group;
  {
    absl::MutexLock lock(&queue_mu_);
    // Durable: let the previous group's writers queue again first
    // (kDurableGatherDelay).
    if (durable && queue_.size() < last_group_size_) {
      const std::size_t want = last_group_size_;
      auto gathered = [this, want]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return queue_.size() >= want;
      };
      queue_mu_.AwaitWithTimeout(absl::Condition(&gathered),
                                 kDurableGatherDelay);
    }
    // Take what is queued (it includes `request`, at the front).
    std::size_t bytes = 0;
    while (!queue_.empty() && group.size() < kMaxGroupRequests &&
           (group.empty() || bytes < kMaxGroupBytes)) {
      WriteRequest* r = queue_.front();
      queue_.pop_front();
      for (const WriteRequest::Op& op : r->ops) bytes += op.value.size();
      group.push_back(r);
    }
    last_group_size_ = group.size();
  }
  ApplyGroup(group);
  WriteRequest* next = nullptr;
  {
    absl::MutexLock lock(&queue_mu_);
    for (WriteRequest* r : group) {
      if (r != request) r->turn.store(Turn::kDone, std::memory_order_release);
    }
    if (!queue_.empty()) {
      next = queue_.front();  // it wakes and leads
      next->turn.store(Turn::kLead, std::memory_order_release);
    } else {
      leader_active_ = false;
    }
  }
  if (durable && (next != nullptr || group.size() > 1)) {
    WakeTurns(turns_given_);
  }
}

absl::Status EngineImpl::CheckWritable() {
  if (write_error_.ok()) return absl::OkStatus();
  if (read_only_db_) return write_error_;
  // RocksDB stops writing after a failed write; try to resume it.
  rocksdb::Status s = db_->Resume();
  if (s.ok()) {
    write_error_ = absl::OkStatus();
    return absl::OkStatus();
  }
  return absl::Status(
      write_error_.code(),
      absl::StrCat(write_error_.message(), " (writes stay refused: ",
                   s.ToString(), "; reopen the store once the cause is gone)"));
}

void EngineImpl::ApplyGroup(const std::vector<WriteRequest*>& group) {
  absl::MutexLock lock(&write_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) {
    for (WriteRequest* r : group) r->status = s;
    return;
  }
  const std::uint64_t first = next_revision_;
  Group g(this);
  for (WriteRequest* r : group) g.Apply(r);
  if (g.batch().Count() == 0) return;  // nothing to write
  // No separate revision counter is written: every revision has its log
  // record in this batch, and Open recovers the revision from the log.
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::kDurable;
  for (const WriteRequest* r : group) {
    wo.sync = wo.sync || (r->context != nullptr && r->context->sync);
  }
  // Counted for durability only, not for the reservation below.
  if (wo.sync) g_synced_writes.fetch_add(1, std::memory_order_relaxed);
  // Buffered: a group beyond the revision reservation writes the next one
  // and is synced (engine_impl.h, kSysReserved).
  const std::uint64_t reserved_before = reserved_through_;
  const bool reserved = ReserveRevisions(&g.batch());
  wo.sync = wo.sync || reserved;
  rocksdb::Status s;
  bool written = false;
  if (g.batch().Count() >= kIngestMinRecords) {
    // A bulk load: sorted files instead of the WAL and memtables
    // (batch_ingest.h); durable when it returns.
    IngestOutcome ingest =
        IngestBatch(db_.get(), handles_, IngestScratchDir(path_), g.batch());
    if (!ingest.attempted && !ingest.status.ok()) {
      // Nothing reached the database: the group fails and its revisions
      // are used again by the next one.
      next_revision_ = first;
      reserved_through_ = reserved_before;
      const absl::Status failed = FromRocks(ingest.status, "commit");
      for (WriteRequest* r : group) {
        if (r->status.ok()) {
          r->status = failed;
          r->result = CommitResult{};
        }
      }
      return;
    }
    written = ingest.attempted;
    s = ingest.status;
    if (written && s.ok()) {
      g_ingested_groups.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!written) s = db_->Write(wo, &g.batch());
  if (!s.ok()) {
    // Nothing of the group is acknowledged, and no further write is made
    // until the store is reopened (RocksDB does not resume after a failed
    // WAL write); Open then recovers the revision from what reached disk.
    write_error_ = FromRocks(s, "commit");
    // Past the commit point: the record may be in the WAL (a failed sync,
    // say) and replay on reopen, so "nothing applied" would be a lie.
    const absl::Status unknown = absl::UnknownError(absl::StrCat(
        "outcome unknown: ", write_error_.message(),
        " (the write may have reached the log and reappear on reopen)"));
    for (WriteRequest* r : group) {
      if (r->status.ok()) {
        r->status = unknown;
        r->result = CommitResult{};
      }
    }
    return;
  }
  g.Remember();
  if (next_revision_ != first) {
    committed_revision_.store(next_revision_ - 1, std::memory_order_release);
    NotifyCommitted(next_revision_ - 1);
  }
}

absl::StatusOr<std::string> EngineImpl::DoSet(const std::string& key,
                                              std::string_view value,
                                              const WriteOptions& options) {
  return SetWith(WriteContext{}, key, value, options);
}

absl::Status EngineImpl::DoRemove(const std::string& key,
                                  const Precondition& precondition) {
  return RemoveWith(WriteContext{}, key, precondition);
}

absl::StatusOr<CommitResult> EngineImpl::DoCommit(const Batch& batch) {
  return CommitWith(WriteContext{}, batch);
}

absl::Status EngineImpl::DoClear(const std::string& base) {
  return ClearWith(WriteContext{}, base);
}

absl::StatusOr<std::string> EngineImpl::SetWith(const WriteContext& context,
                                                const std::string& key,
                                                std::string_view value,
                                                const WriteOptions& options) {
  WriteRequest r;
  r.single = true;
  r.ops.push_back(WriteRequest::Op{BatchOpKind::kPut, &key, value,
                                   &options.precondition, options.ttl});
  r.context = &context;
  Submit(&r);
  if (!r.status.ok()) return r.status;
  return std::move(r.result.etags[0]);
}

absl::Status EngineImpl::RemoveWith(const WriteContext& context,
                                    const std::string& key,
                                    const Precondition& precondition) {
  WriteRequest r;
  r.single = true;
  r.ops.push_back(WriteRequest::Op{
      BatchOpKind::kDelete, &key, {}, &precondition, absl::ZeroDuration()});
  r.context = &context;
  Submit(&r);
  return r.status;
}

absl::StatusOr<CommitResult> EngineImpl::CommitWith(const WriteContext& context,
                                                    const Batch& batch) {
  WriteRequest r;
  r.ops.reserve(batch.size());
  for (const BatchOp& op : batch.ops()) {
    r.ops.push_back(WriteRequest::Op{op.kind, &op.key, op.value,
                                     &op.options.precondition, op.options.ttl});
  }
  r.context = &context;
  Submit(&r);
  if (!r.status.ok()) return r.status;
  return std::move(r.result);
}

absl::Status EngineImpl::ClearWith(const WriteContext& context,
                                   const std::string& base) {
  WriteRequest r;
  r.kind = WriteRequest::Kind::kClear;
  r.base = base;
  r.context = &context;
  Submit(&r);
  return r.status;
}

}  // namespace cask::engine
