// EngineImpl: the Engine on RocksDB. Split by concern:
//   engine_open.cc  opening, options, reads;
//   engine_scan.cc  paged scans;
//   write_queue.cc  the write queue and group commit;
//   change_log.cc   Changes, Watch, the reaper and the log trimmer;
//   table_files.cc  what opening and closing do about WAL and table files;
//   engine_snapshot.cc  snapshots and reads at a past revision.
// Not installed: RocksDB stays out of cask's public headers.
#ifndef CASK_ENGINE_ROCKSDB_ENGINE_IMPL_H_
#define CASK_ENGINE_ROCKSDB_ENGINE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cask/engine.h"
#include "encoding.h"
#include "ipc_spin.h"
#include "rocksdb/db.h"

namespace cask::engine {

namespace ipc {
class DirLock;
}  // namespace ipc

// Keys of the sys (default) column family.
inline constexpr char kSysFormat[] = "format";
inline constexpr char kSysStoreId[] = "store_id";
// A floor for the revision (written at creation and by the log trimmer);
// Open takes the maximum of it, the trim mark and the newest log record.
inline constexpr char kSysRevision[] = "revision";
inline constexpr char kSysTrimmed[] = "log_trimmed";
// Buffered mode: revisions up to this one may have been issued. Written with
// an fsync before any revision above the previous mark is used, so a power
// failure that loses unsynced log records never lets Open issue one of
// their revisions (their etags) again; a clean close lowers it to the last
// revision used. Open starts after the maximum of the four.
inline constexpr char kSysReserved[] = "revision_reserved";
// How many revisions one reservation covers: one extra fsync per block.
inline constexpr std::uint64_t kRevisionBlock = 16384;

// How a write made on behalf of another process (docs/processes.md) is
// applied beyond what its arguments say. Passed explicitly down to the
// write queue (EngineImpl::*With).
struct WriteContext {
  // When non-empty, a successful write also records its outcome under this
  // sys key, in the same RocksDB write as the data, so that a retry of the
  // request can be answered from the record (exactly-once).
  std::string outcome_key;
  // Fsync the write's group even in kBuffered (a process that opened the
  // store kDurable writes through an owner that opened it kBuffered).
  bool sync = false;
};

// One request on the write queue. The submitter fills the inputs, the
// group leader fills the outputs and then marks it done. Inputs are views:
// the submitter keeps them alive until done.
struct WriteRequest {
  enum class Kind { kCommit, kClear, kExpire };
  Kind kind = Kind::kCommit;

  // kCommit: the ops (a Set or Remove is a one-op commit).
  struct Op {
    BatchOpKind kind = BatchOpKind::kPut;
    const std::string* key = nullptr;
    std::string_view value;
    const Precondition* precondition = nullptr;
    absl::Duration ttl = absl::ZeroDuration();
  };
  std::vector<Op> ops;
  // A failed precondition of a one-op request is reported as a plain CAS
  // mismatch rather than a commit conflict.
  bool single = false;

  // kClear: the base.
  std::string base;
  // kExpire: keys the reaper found expired, with the revision it saw and
  // the expiry indexed in the ttl CF. Applied only if still so.
  struct Expiry {
    std::string key;
    std::uint64_t revision = 0;
    std::int64_t indexed_expiry = 0;
  };
  std::vector<Expiry> expiries;

  // Outputs.
  absl::Status status;
  CommitResult result;

  // Whose turn it is. Set once by a leader, under the queue mutex: kDone
  // when the request's group is applied, kLead when the request is to
  // lead the next group. In durable mode the writers sleep on a futex
  // (EngineImpl::turns_given_) rather than in the queue mutex, so the
  // writers one fsync answered all run again at once instead of one after
  // another as each takes and releases the mutex. In buffered mode a group
  // takes microseconds: a writer polls its turn (yielding) for about as long as
  // turns took lately, at most 50 µs, and only then sleeps in the mutex,
  // since a sleep and a wake-up per write cost more than the group on a
  // quiet machine (write_queue.cc, PollForTurn).
  enum class Turn : std::uint32_t { kWait, kLead, kDone };
  std::atomic<Turn> turn{Turn::kWait};

  // From WriteContext (nullptr: none).
  const WriteContext* context = nullptr;
};

class EngineImpl final : public Engine {
 public:
  EngineImpl(std::string path, EngineOptions options);
  ~EngineImpl() override;

  // Opens RocksDB on `env` (nullptr: the default Env) and loads the store.
  absl::Status Init(rocksdb::Env* env);
  // Before Init: a one-shot reader (OpenOneShotReader) holding `lock`.
  void HoldOwnerLock(std::unique_ptr<ipc::DirLock> lock);

  std::string_view name() const override { return "engine"; }
  Capabilities capabilities() const override;
  std::uint64_t revision() const override {
    return committed_revision_.load(std::memory_order_acquire);
  }
  std::string_view store_id() const override { return store_id_; }
  absl::Status RunMaintenance() override;
  absl::Status Compact() override;

  // --- write_queue.cc: the Do* writes with a WriteContext. Arguments must
  // be checked already (ContextWriter does it with the Driver's checks).
  absl::StatusOr<std::string> SetWith(const WriteContext& context,
                                      const std::string& key,
                                      std::string_view value,
                                      const WriteOptions& options);
  absl::Status RemoveWith(const WriteContext& context, const std::string& key,
                          const Precondition& precondition);
  absl::Status ClearWith(const WriteContext& context, const std::string& base);
  absl::StatusOr<CommitResult> CommitWith(const WriteContext& context,
                                          const Batch& batch);

  // --- engine_scan.cc
  // One page of a scan at `snapshot` (nullptr: the latest state), with
  // expiry judged at `now_micros` (a Snapshot passes the time it was
  // taken, so it keeps showing one state). The arguments are checked
  // already (Driver::Scan or Snapshot::Scan).
  absl::StatusOr<ScanPage> ScanAt(const std::string& base,
                                  const ScanOptions& options,
                                  const rocksdb::Snapshot* snapshot,
                                  std::int64_t now_micros);

  // --- outcome_record.cc: the records WriteContext::outcome_key writes.
  // The recorded result under `key`; nullopt when there is none.
  // kDataLoss when the record is malformed.
  absl::StatusOr<std::optional<CommitResult>> ReadOutcome(
      const std::string& key);
  // Drops the records with keys in [begin, end).
  absl::Status DropOutcomes(const std::string& begin, const std::string& end);
  absl::Status DropOutcomeKeys(const std::vector<std::string>& keys);
  // Drops the records under `prefix` written before `cutoff`; how many.
  absl::StatusOr<std::uint64_t> DropOutcomesBefore(const std::string& prefix,
                                                   absl::Time cutoff);
  // How many records are under `prefix`.
  absl::StatusOr<std::uint64_t> CountOutcomes(const std::string& prefix);

  // --- The Driver's Do* methods, public here: a SharedEngine that owns the
  // store calls them directly with the keys, preconditions and batches its
  // own public methods already normalised and checked, so nothing is
  // normalised, checked or copied twice.
  absl::StatusOr<Item> DoGet(const std::string& key) override;
  // DoGet assigning into item's buffers (value and etag).
  absl::Status DoGetInto(const std::string& key, Item* item) override;
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override;
  // A read of the metadata; a missing key builds no error.
  absl::StatusOr<bool> DoHas(const std::string& key) override;
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override;
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override;
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override;
  absl::Status DoClear(const std::string& base) override;
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override;
  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override;
  absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback) override;
  absl::StatusOr<std::unique_ptr<Snapshot>> DoOpenSnapshot() override;
  absl::StatusOr<Item> DoGetAt(const std::string& key,
                               std::uint64_t revision) override;

 private:
  friend class WatchSubscription;
  friend class EngineSnapshot;
  class Group;

  // --- engine_open.cc
  absl::Status OpenDb(rocksdb::Env* env);
  absl::Status LoadOrCreateIdentity();
  // Marks the store created (CASK marker) once its identity is durable.
  absl::Status FinishCreation();
  // Buffered mode: when the group just built uses revisions beyond the
  // reservation, adds a new reservation to `batch` and returns true: the
  // group must then be written with sync.
  bool ReserveRevisions(rocksdb::WriteBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // --- table_files.cc: on close, so that short-lived processes do not pile
  // up table files (and ReplayWalsWithoutFlush below, for the open). Lets the
  // compactions that flushes scheduled finish.
  void WaitForCompactions();
  // Merges the small table files of a column family that has many.
  void MergeSmallTableFiles();
  // Flushes the memtables when the WAL holds much, so that the next open does
  // not replay it all from the WAL (a one-shot reader would on every open).
  void FlushLargeMemtables();
  // The live record of `key` at the latest state (nullopt: absent or
  // expired). `inline_value` receives an inline value when non-null.
  absl::StatusOr<std::optional<MetaRecord>> ReadMeta(const std::string& key,
                                                     std::string* value);
  // Where a read looks: a RocksDB snapshot (nullptr: the latest state) and
  // the clock that decides expiry, so a Snapshot keeps judging expiry at
  // the moment it was taken and always shows one state.
  struct ReadPoint {
    const rocksdb::Snapshot* snapshot = nullptr;
    // nullopt: the time of the read, taken only for a record that has an
    // expiry (most have none, and a clock read is a noticeable part of a
    // Get).
    std::optional<std::int64_t> now_micros;

    bool Expired(const MetaRecord& record) const;
  };
  absl::StatusOr<std::optional<MetaRecord>> ReadMetaAt(const ReadPoint& at,
                                                       const std::string& key,
                                                       std::string* value);
  // The live item of `key` at `at`; kNotFound if absent or expired.
  absl::StatusOr<Item> ReadItemAt(const ReadPoint& at, const std::string& key);
  // ReadItemAt into *item, assigning into its buffers; *item is left in an
  // unspecified state on error.
  absl::Status ReadItemInto(const ReadPoint& at, const std::string& key,
                            Item* item);

  // --- engine_snapshot.cc
  // The revision of the state `snapshot` shows: every revision up to it
  // and none after. `committed_before` is committed_revision_ loaded
  // before the snapshot was taken.
  absl::StatusOr<std::uint64_t> RevisionOf(const rocksdb::Snapshot* snapshot,
                                           std::uint64_t committed_before);
  // GetAt when the key's current record does not answer: the change log
  // at `at` (whose revision is `at_revision`) decides between kNotFound
  // and kOutOfRange.
  absl::StatusOr<Item> GetAtFromLog(const ReadPoint& at, const std::string& key,
                                    std::uint64_t revision);

  // --- write_queue.cc
  // Queues `request`, waits until a group leader (perhaps this thread)
  // has applied it, and returns with request->status set.
  void Submit(WriteRequest* request);
  void ApplyGroup(const std::vector<WriteRequest*>& group);
  absl::Status CheckWritable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // --- change_log.cc
  void MaintenanceLoop();
  // Buffered mode: fsyncs the WAL; a failure refuses later writes.
  void SyncWal();
  absl::Status ReapExpired();
  absl::Status TrimLog();
  void NotifyCommitted(std::uint64_t revision);
  // Waits until the committed revision exceeds `revision`, `stop` is set,
  // or `timeout` passes.
  void WaitForCommit(std::uint64_t revision, const std::atomic<bool>& stop,
                     absl::Duration timeout);

  const std::string path_;
  const EngineOptions options_;
  std::string store_id_;
  // Set by OpenDb when an existing store lacked some column families.
  bool column_families_were_missing_ = false;
  // The CASK marker still says "creating" (nothing acknowledged yet).
  bool creating_ = false;
  // The revision the marker recorded at the last clean close.
  std::uint64_t closed_revision_ = 0;
  // EngineOptions::read_only in a directory this process cannot write, or
  // a one-shot reader: RocksDB is open read-only, writes are
  // kPermissionDenied.
  bool read_only_db_ = false;
  // A one-shot reader (OpenOneShotReader) holds the owner's lock until
  // RocksDB is closed: declared before db_, so released after it.
  std::unique_ptr<ipc::DirLock> owner_lock_;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* sys_cf_ = nullptr;  // default CF
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* data_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* ttl_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;

  // The write queue.
  absl::Mutex queue_mu_;
  std::deque<WriteRequest*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;
  // Requests in the last group a leader took (write_queue.cc: a durable
  // leader waits briefly for that many before it takes its group).
  std::size_t last_group_size_ ABSL_GUARDED_BY(queue_mu_) = 0;
  // Buffered mode: how long followers waited for their turn lately, which
  // sizes their polling, at most 50 µs (write_queue.cc, PollForTurn).
  ipc::SpinBudget follower_spin_{/*max_spin=*/50'000};
  // Durable mode: the futex word the waiting writers sleep on. A leader
  // bumps it after it has given turns and wakes every sleeper with one
  // system call (write_queue.cc, WakeTurns).
  std::atomic<std::uint32_t> turns_given_{0};

  // Held by the group leader while it applies a group (and by the log
  // trimmer): only one writer touches RocksDB at a time.
  absl::Mutex write_mu_;
  std::uint64_t next_revision_ ABSL_GUARDED_BY(write_mu_) = 1;
  // The durable reservation (kSysReserved); buffered mode only.
  std::uint64_t reserved_through_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The latest meta record (nullopt: absent) of recently written keys, so
  // the leader need not read them back from RocksDB. Only the leader writes
  // meta records, and it updates this map after each successful group, so
  // it always equals the database's state. Emptied when it grows past
  // kRecentWrites entries.
  absl::flat_hash_map<std::string, std::optional<MetaRecord>> recent_
      ABSL_GUARDED_BY(write_mu_);
  // A failed RocksDB write makes RocksDB refuse writes until it recovers;
  // kept to answer (and to retry Resume) before the next group.
  absl::Status write_error_ ABSL_GUARDED_BY(write_mu_);

  std::atomic<std::uint64_t> committed_revision_{0};
  // Highest revision trimmed from the log (0: nothing trimmed).
  std::atomic<std::uint64_t> trimmed_through_{0};

  // Watchers wait here for new commits.
  absl::Mutex notify_mu_;
  absl::CondVar notify_cv_;
  std::atomic<int> watchers_{0};

  // The background thread: reaper, trimmer, buffered WAL sync.
  absl::Mutex bg_mu_;
  bool stopping_ ABSL_GUARDED_BY(bg_mu_) = false;
  std::thread bg_thread_;
};

// The options of a read at the latest state, built once: RocksDB's
// ReadOptions has some thirty fields to initialise, a noticeable part of
// a Get of a small value.
const rocksdb::ReadOptions& LatestReadOptions();

// Opens the engine itself (no sharing between processes): what
// OpenEngineWithEnv (testing.h) and the owner of a shared store use.
absl::StatusOr<std::unique_ptr<EngineImpl>> OpenEngineImpl(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env);

// EngineOptions::one_shot when no process owns the store: RocksDB opened
// read-only in this process under `owner_lock` (the owner's lock, which no
// owner can hold meanwhile, so nothing is written while it is open), no
// thread started, nothing served; the lock is released when the engine is
// closed. The engine's errors as OpenEngineImpl's.
absl::StatusOr<std::unique_ptr<EngineImpl>> OpenOneShotReader(
    std::string_view path, const EngineOptions& options,
    std::unique_ptr<ipc::DirLock> owner_lock);

// table_files.cc: whether the open of the store in `dir` may replay its WAL
// files into memtables instead of flushing them into new table files
// (RocksDB's avoid_flush_during_recovery): true while there are few WAL
// files, which it then syncs (a flush would have made their records
// durable). False when there are many, or a sync fails.
bool ReplayWalsWithoutFlush(const std::string& dir);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_ENGINE_IMPL_H_
