// Offline-first sync between a local store and any remote store with CAS
// (docs/sync.md has the whole state machine).
//
// The application reads and writes the local store directly; Sync never
// sits in that path, so local operations never wait for the remote and
// never fail because it is down. Sync replicates both ways:
//   push  the local change log (Driver::Changes) after the push checkpoint;
//         each changed key is written to the remote with if_match the
//         remote etag last synced for it (create-only when the remote never
//         had it; a delete is a conditional Remove).
//   pull  the remote's change feed (Changes) after the pull checkpoint when
//         it has one, else a scan comparing etags; a remote change is
//         applied locally with if_match the local etag it replaces, and
//         only when the local value is the one last synced.
// A failed precondition on either side is a conflict: the local value
// stays, the remote value and etag are kept in a conflict record; nothing
// is overwritten or lost. The application lists conflicts and resolves
// them; the resolution then syncs like any write. Two sides that reach the
// same value independently are not a conflict. A local value equal to the
// overlay store's tombstone (cask/overlay.h) is treated as an absent key.
//
// Sync state (per-key synced remote etag and value hash, checkpoints,
// conflicts) lives in the local store's reserved key space
// (".cask:sync:<peer>", cask/key.h), which Keys, Changes, Watch and Clear
// do not show, and is written in the same atomic Commit as the local
// change it describes. So a crash (kill -9) at any point loses nothing and
// duplicates nothing: a remote write whose acknowledgement was lost is
// recognised on the next run by reading the remote back.
//
// REQUIRES: the local store has atomic Commit, CAS and a change log (the
// engine); the remote has CAS. Create checks both (kInvalidArgument).
//
// Status codes:
//   RunOnce / Resolve / Conflicts:
//     kUnavailable  the remote (or the local store) is unreachable; what
//                   was done is recorded, the next run resumes.
//     kAborted      another Sync on the same local store and peer changed
//                   the sync state at the same time; run again.
//     kNotFound     Resolve of a key without a conflict.
//     kDataLoss     damaged sync state.
//   Other codes are passed through from the stores.
//
// Thread safety: all methods are safe to call from any thread; rounds are
// serialised by an internal mutex. Two Sync objects (or processes) on the
// same local store and peer are safe (their state commits are CAS) but
// waste work; use one.
#ifndef CASK_SYNC_H_
#define CASK_SYNC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

// Totals since the Sync was created (or of one RunOnce in SyncReport).
struct SyncCounters {
  std::uint64_t pushed = 0;           // keys written or removed on the remote
  std::uint64_t pulled = 0;           // keys written or removed locally
  std::uint64_t conflicts = 0;        // conflicts detected
  std::uint64_t converged = 0;        // both sides already equal: state adopted
  std::uint64_t remote_requests = 0;  // calls made to the remote store
  std::uint64_t full_compares = 0;    // checkpoint behind retention: rescans
};

struct SyncOptions {
  // Names this pairing's state in the local store (one per remote): a
  // non-empty key segment without separators. The CLI derives it from the
  // remote URI.
  std::string peer = "default";
  // Change-log events read per request (push and pull feed).
  std::size_t page_size = 500;
  // Push: where the remote has atomic batches, the keys of a page go out
  // in remote Commits of up to this many writes, each with its own
  // precondition (a refused key is settled alone, the rest sent again).
  // 0 or 1: one request per key. Keep it within the remote's batch limit
  // (etcd: 128 operations by default).
  std::size_t push_batch = 100;
  // Pull: take remote values from the page that lists the change where
  // the remote offers them (a feed event that carries its value; a scan
  // page read with values when most of it changed), so a page costs one
  // request instead of one read per key. false: one Get per changed key,
  // and a scan of one GetMeta per key (the earlier design, kept for
  // comparison).
  bool bulk_pull = true;
  // Pull: remote reads of one page (and the scan's GetMeta calls) in
  // flight at once. 0 or 1: one at a time.
  std::size_t read_parallelism = 8;
  // Pull: kAuto uses the remote's change feed when it has one
  // (capabilities().watch), else a scan; kScan forces the scan.
  enum class PullMode { kAuto, kScan };
  PullMode pull_mode = PullMode::kAuto;
  // Follow(): pause between rounds when nothing happened (a local change
  // wakes it early), and the backoff after an unreachable remote, doubled
  // up to max_backoff.
  absl::Duration poll_interval = absl::Milliseconds(500);
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  // Called on the syncing thread after each page of a round with the
  // round's counts so far (for progress meters); may be empty.
  std::function<void(const SyncCounters&)> on_progress;
};

// One unresolved conflict: the local value stayed; the remote's is here.
struct SyncConflict {
  std::string key;
  bool remote_exists = false;
  std::string remote_value;  // when remote_exists
  std::string remote_etag;   // "" when the remote does not have the key
  // Why: "push" (the remote refused our write), "pull" (a remote change
  // met an unsynced local edit), or "rejected: <error>" (the remote
  // refused the value itself, e.g. too large).
  std::string reason;
  absl::Time detected;
};

struct SyncReport {
  SyncCounters counts;
  std::size_t unresolved_conflicts = 0;
};

struct SyncStatus {
  SyncCounters totals;
  std::uint64_t push_checkpoint = 0;  // local revision pushed through
  std::uint64_t pull_checkpoint = 0;  // remote revision pulled through
  bool following = false;
  absl::Status last_error;  // of the latest round; OK when it succeeded
  std::optional<absl::Time> last_success;
};

// How Resolve settles a conflict.
enum class Resolution {
  kKeepLocal,   // push the local value (or absence) over the remote's
  kKeepRemote,  // take the remote value (or absence) locally
  kMerged,      // write `merged` locally, then push it
};

// The peer name the CLI uses for a remote URI: "u" and 16 hex digits of
// a hash of the URI without its query (so a changed token or timeout keeps
// the state).
std::string SyncPeerForUri(std::string_view uri);

// The peers with sync state in `local`.
absl::StatusOr<std::vector<std::string>> SyncPeers(Driver& local);

// Sync::Conflicts / Sync::Resolve without a remote (they touch only the
// local store), e.g. for a CLI that lists conflicts offline.
absl::StatusOr<std::vector<SyncConflict>> ListSyncConflicts(
    Driver& local, std::string_view peer);
absl::Status ResolveSyncConflict(
    Driver& local, std::string_view peer, std::string_view key,
    Resolution resolution, std::optional<std::string> merged = std::nullopt,
    std::optional<Precondition> local_precondition = std::nullopt);

class Sync {
 public:
  // kInvalidArgument when a store lacks what sync needs or the peer name
  // is not a single key segment.
  static absl::StatusOr<std::unique_ptr<Sync>> Create(
      std::shared_ptr<Driver> local, std::shared_ptr<Driver> remote,
      SyncOptions options = {});
  ~Sync();  // stops Follow()
  Sync(const Sync&) = delete;
  Sync& operator=(const Sync&) = delete;

  // Pulls until the remote has nothing new, then pushes until the local
  // log is drained (one round). Changes either side gains meanwhile wait
  // for the next round.
  // kUnavailable when the remote went away part-way (what was synced is
  // recorded). Conflicts are not errors: see the report.
  absl::StatusOr<SyncReport> RunOnce();

  // Starts a background thread that runs rounds until StopFollow() (or the
  // destructor): woken by local changes, polling the remote every
  // poll_interval, backing off while it is unreachable. Idempotent.
  void Follow();
  void StopFollow();

  // Every unresolved conflict, by key.
  absl::StatusOr<std::vector<SyncConflict>> Conflicts();

  // Settles the conflict on `key`. For kMerged, `merged` is the value
  // (nullopt: delete) and `local_precondition` guards the local write
  // (default: the local etag seen now). The local side changes at once;
  // the remote side at the next round, with if_match the conflict's
  // remote etag (so a remote that moved again conflicts again).
  // kNotFound when `key` has no conflict; kAborted when the local value
  // changed meanwhile (look again).
  absl::Status Resolve(
      std::string_view key, Resolution resolution,
      std::optional<std::string> merged = std::nullopt,
      std::optional<Precondition> local_precondition = std::nullopt);

  SyncStatus status() const;

 private:
  class Impl;
  explicit Sync(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cask

#endif  // CASK_SYNC_H_
