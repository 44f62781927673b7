// The cask engine: a store on a local directory, built on RocksDB.
//
// Etags are revisions. The store keeps one 64-bit revision, strictly
// increasing and persisted; every committed put, delete, expiry and clear
// takes the next one. A key's etag is "<revision>.<store id>", where the
// store id is 16 random hex digits created with the store and kept in it.
// So an etag is never reused for a key (not after delete-and-recreate,
// Clear, reopen or a crash) and an etag of another store never matches.
//
// CAS and Commit: every write goes through one queue. Concurrent requests
// are gathered into one group, evaluated in arrival order against the
// state that includes the earlier requests of the same group, and applied
// with one RocksDB write (one WAL append, one fsync in durable mode). A
// Commit is all-or-nothing and readers see all of it or none of it. A
// commit of n writes takes n consecutive revisions (CommitResult::revision
// is the last); a failed precondition takes none.
//
// The change log: a column family written in the same RocksDB write as the
// data, one record per revision (put, delete, expire, clear) with an XXH3
// checksum. Changes() and Watch() read it; it is trimmed in the background
// by count and age (EngineOptions); reading below the retention is
// kOutOfRange. The log is the engine's own, never RocksDB's WAL.
//
// TTL: the expiry is stored with the value; reads never return an expired
// item; a background reaper deletes expired keys through the write queue,
// logging an `expire` event; compaction then reclaims the space.
//
// Large values (at least EngineOptions::min_blob_size) live in RocksDB's
// blob files, zstd-compressed. Values over max_value_bytes are refused with
// kResourceExhausted before anything is written.
//
// Status codes beyond those of cask/driver.h:
//   Open: kInvalidArgument  the directory is not a cask store (or a bad
//                           option / URI);
//         kDataLoss         the store is corrupted;
//         kUnavailable      the store is already open in this process
//                           (one Engine per store and process), or no
//                           owner process could be reached or become one.
//   writes: kResourceExhausted  disk full; kUnavailable  another I/O error.
//         After a failed write the engine refuses further writes with the
//         same error until RocksDB recovers (it retries on each write);
//         reopening always recovers. Acknowledged writes are never lost.
//   reads of a corrupted record, Changes/Watch of a log record whose
//         checksum fails: kDataLoss.
//
// Processes (docs/processes.md): any number of processes may Open one
// directory. The first holds RocksDB and serves the others over a Unix
// socket in the directory; their Engines forward every call and take over
// when the owner exits or dies. In such a client process every call has a
// deadline (EngineOptions::ipc_call_timeout): past it, kUnavailable when
// nothing was sent, kUnknown when a write was sent. A request over 512 MiB
// encoded (a huge Commit) is kResourceExhausted there, before anything is
// sent. Each process's durability is honoured by the owner. Thread
// safety: an Engine is safe for concurrent use by any number of threads.
#ifndef CASK_ENGINE_H_
#define CASK_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

enum class Durability {
  // Every commit group is fsynced before any of its writers is answered.
  // Nothing acknowledged is lost, not even on power failure.
  kDurable,
  // Commits are written to the WAL (so a process crash loses nothing) but
  // fsynced only every buffered_sync_interval: a power failure or kernel
  // crash may lose up to that window of acknowledged writes.
  kBuffered,
};

// Open-time options. Defaults suit an edge device: small caches, bounded
// memory, durable writes.
struct EngineOptions {
  // The store's directory. Set by FromUri; Engine::Open takes the path as
  // its own argument and ignores this field.
  std::string path;

  Durability durability = Durability::kDurable;
  // kBuffered only: the longest time between WAL fsyncs. Must be > 0.
  absl::Duration buffered_sync_interval = absl::Milliseconds(100);

  // Shared RocksDB block cache, in bytes. 0 disables the block cache.
  std::uint64_t block_cache_bytes = 8u << 20;
  // Memory for memtables of all column families together, in bytes; a
  // memtable is flushed when it reaches half of it. Must be >= 1 MiB.
  std::uint64_t write_buffer_bytes = 16u << 20;

  // Change log retention: keep at least the newest `log_retention_count`
  // records (0: no count limit) and drop records older than
  // `log_retention_age` (0: no age limit). Trimming runs in the background.
  std::uint64_t log_retention_count = 1'000'000;
  absl::Duration log_retention_age = absl::Hours(7 * 24);

  // Largest value accepted, in bytes (capabilities().max_value_bytes); a
  // larger value is kResourceExhausted with nothing written. 0: no limit
  // of cask's own (RocksDB's 4 GiB write batch limit remains).
  std::uint64_t max_value_bytes = 256u << 20;
  // Values of at least this many bytes are stored in blob files (RocksDB
  // BlobDB); smaller ones inline with the key's metadata. 0: every value
  // goes to blob files.
  std::uint64_t min_blob_size = 64u << 10;
  // Compress blob files with zstd.
  bool blob_compression = true;

  // How often the background thread reaps expired keys and trims the log.
  // Must be > 0.
  absl::Duration maintenance_interval = absl::Seconds(1);

  // Create the store when the directory is missing or empty. Otherwise a
  // missing store is kNotFound and nothing is created.
  bool create_if_missing = true;

  // Processes that are not the owner of the store (docs/processes.md): the
  // longest one forwarded call may take, from its start to its answer,
  // including reconnecting and taking over after the owner died. When it
  // passes, the owner is treated as dead (the connection is dropped and a
  // new owner is looked for) and the call returns kUnavailable if the
  // request was not sent, kUnknown if it was sent (a write may or may not
  // have been applied). Open of such a process is bounded by it too.
  // 0: no deadline (a stopped owner blocks the call until it resumes).
  absl::Duration ipc_call_timeout = absl::Seconds(30);

  // The opener only reads. The store must exist (kNotFound otherwise;
  // nothing is created, whatever create_if_missing says). In a directory
  // this process may write the store opens as usual; in one it may not
  // (permissions, a read-only mount) RocksDB is opened read-only: nothing
  // on disk changes, no other process is served, and every write is
  // kPermissionDenied.
  bool read_only = false;

  // With read_only: the opener makes a few short reads and closes the
  // store (the cask program's get and meta), so it should not pay for
  // becoming the owner. When no process owns the store, RocksDB is opened
  // read-only in this process while it holds the owner's lock: nothing is
  // served, no background thread is started, nothing on disk changes, and
  // every read sees every write acknowledged before the open (no owner can
  // write meanwhile). Processes opening the store in that time wait for
  // the lock (up to ipc_call_timeout): close such an engine promptly. When
  // another process owns the store, calls are forwarded to it as usual.
  // Ignored without read_only.
  bool one_shot = false;

  // Parses "cask:///abs/dir?k=v&..." (or "cask://rel/dir", "cask:rel/dir").
  // Query keys: durability=durable|buffered, sync_interval_ms,
  // block_cache_bytes, write_buffer_bytes, log_retention_count,
  // log_retention_age_s, max_value_bytes, min_blob_size,
  // blob_compression=0|1, maintenance_ms, create=0|1, read_only=0|1,
  // one_shot=0|1, ipc_timeout_ms (0: no deadline). An unknown key, a bad number
  // or an empty path is kInvalidArgument.
  static absl::StatusOr<EngineOptions> FromUri(std::string_view uri);
};

// What Engine::Repair found and did.
struct RepairReport {
  std::string old_store_id;  // empty when the identity was lost
  std::string new_store_id;
  // The store's revision after the repair (new writes come after it).
  std::uint64_t revision = 0;
  std::uint64_t keys = 0;  // keys in the repaired store
  // What was lost, as far as the change log can tell: one line per lost
  // write or range of revisions, e.g. `put "k" at revision 42` or
  // `revisions 40..45 (keys unknown)`.
  std::vector<std::string> lost;
  // Where RocksDB moved the files it could not use (inside the store).
  std::string lost_files_dir;
};

class Engine : public Driver {
 public:
  // Opens (or creates, see create_if_missing) the store in directory
  // `path`. Errors: see the header comment.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(
      std::string_view path, const EngineOptions& options = {});

  // Salvages a damaged store (one that Open reports as kDataLoss) with
  // RocksDB's repairer, then gives it a new store id: every etag issued
  // before the repair stops matching, since what it named may be gone.
  // Files RocksDB cannot use are moved into the store's lost/ directory,
  // never deleted. Never run implicitly. Afterwards Open succeeds.
  // REQUIRES: the store is not open in any process.
  // Errors: kNotFound no store at `path`; kInvalidArgument not a cask
  // store; kUnavailable the store is open (or another I/O error);
  // kPermissionDenied the directory cannot be written; kDataLoss nothing
  // could be salvaged.
  static absl::StatusOr<RepairReport> Repair(std::string_view path,
                                             const EngineOptions& options = {});

  // The newest committed revision (0 for an empty new store).
  virtual std::uint64_t revision() const = 0;
  // The random identity created with the store (16 hex digits).
  virtual std::string_view store_id() const = 0;

  // Runs the reaper and the log trimmer now instead of waiting for the
  // background thread; returns the first error.
  virtual absl::Status RunMaintenance() = 0;
  // Flushes memtables and compacts every column family, so deleted and
  // expired data is dropped from disk.
  virtual absl::Status Compact() = 0;

 protected:
  Engine() = default;
  // CurrentRevision() is revision(), for any process on the store.
  absl::StatusOr<std::uint64_t> DoCurrentRevision() override {
    return revision();
  }
};

// Opens the store named by a "cask:" URI (see EngineOptions::FromUri), for
// OpenStore().
absl::StatusOr<std::unique_ptr<Driver>> OpenEngineUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ENGINE_H_
