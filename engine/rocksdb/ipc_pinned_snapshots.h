// PinnedSnapshots: the snapshots an owner holds for other processes
// (docs/processes.md, "Snapshots"). A client process cannot hold a RocksDB
// snapshot of a database it has not opened, so the owner pins one for it
// under a random 64-bit id, and the client's reads name that id.
//
// Pins belong to a Session: one per client connection (and one for the
// calls a process that took over makes to itself). A session's pins are
// released when the client drops its Snapshot (kSnapshotRelease) or all at
// once when the session ends: the connection closed, which is also what
// happens, at once, when the client process dies (the kernel closes its
// socket). A session holds at most kMaxPinsPerSession pins.
//
// Ids are random, so an id pinned by an earlier owner (or on an earlier
// connection) never names a snapshot of another session: reads through it
// answer kOutOfRange, never another view.
//
// Thread safety: every method may be called from any number of threads.
#ifndef CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_
#define CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cask/snapshot.h"
#include "engine_impl.h"

namespace cask::engine::ipc {

// The most snapshots one client connection may hold open at once: a
// client that leaks them gets kResourceExhausted instead of making the
// owner keep ever more old versions.
inline constexpr std::size_t kMaxPinsPerSession = 1024;

class PinnedSnapshots {
 public:
  // The pins of one client connection.
  class Session {
   public:
    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The client id its writes carry (0 until its first write): its reads
    // of a contended key wait for its turn (ipc_key_turns.h).
    std::atomic<std::uint64_t> client{0};

   private:
    friend class PinnedSnapshots;
    absl::Mutex mu_;
    bool ended_ ABSL_GUARDED_BY(mu_) = false;
    absl::flat_hash_map<std::uint64_t, std::shared_ptr<Snapshot>> pins_
        ABSL_GUARDED_BY(mu_);
  };

  // `engine` must outlive this table; every session must have ended (or
  // the table be destroyed, which releases nothing: the sessions hold the
  // snapshots) before the engine closes.
  explicit PinnedSnapshots(EngineImpl* engine) : engine_(engine) {}

  std::shared_ptr<Session> NewSession() { return std::make_shared<Session>(); }
  // Releases every pin of `session`; later Opens in it are refused
  // (kUnavailable: nobody is left to read the answer).
  void EndSession(Session& session);

  struct Pin {
    std::uint64_t id = 0;
    std::uint64_t revision = 0;
  };
  // Takes a snapshot for `session`. kResourceExhausted when it holds
  // kMaxPinsPerSession already; the engine's errors.
  absl::StatusOr<Pin> Open(Session& session);
  // The snapshot `session` pinned as `id`, shared so that a release cannot
  // pull it from under a read in progress. kOutOfRange when `session`
  // holds no such pin (released, or pinned on another connection or by an
  // earlier owner).
  absl::StatusOr<std::shared_ptr<Snapshot>> Find(Session& session,
                                                 std::uint64_t id);
  // Releasing an unknown id is OK: a retried release, or an earlier
  // owner's.
  void Release(Session& session, std::uint64_t id);
  // The pins of all sessions together.
  std::size_t size() const { return count_.load(); }

 private:
  EngineImpl* const engine_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_
