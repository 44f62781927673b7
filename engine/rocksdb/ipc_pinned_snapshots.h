// PinnedSnapshots: the snapshots an owner holds for other processes
// (docs/processes.md, "Snapshots"). A client process cannot hold a RocksDB
// snapshot of a database it has not opened, so the owner pins one for it
// under a random 64-bit id, and the client's reads name that id.
//
// A pin is released when the client drops its Snapshot (kSnapshotRelease),
// or, when the client process died without saying so, at the next sweep
// after its pid is gone. A sweep runs at most once a second, on requests
// from any client: a store nobody asks anything of keeps a dead client's
// pin until then, but then nobody writes through it either, and a pin
// costs only the old versions of what is written meanwhile.
//
// Ids are random, so an id of an earlier owner never names a snapshot of
// this one: after a failover the client's reads answer kOutOfRange.
//
// Thread safety: every method may be called from any number of threads.
#ifndef CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_
#define CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cask/snapshot.h"
#include "engine_impl.h"

namespace cask::engine::ipc {

class PinnedSnapshots {
 public:
  // `engine` must outlive this table; the table must be destroyed (which
  // releases every pin) before the engine.
  explicit PinnedSnapshots(EngineImpl* engine) : engine_(engine) {}

  struct Pin {
    std::uint64_t id = 0;
    std::uint64_t revision = 0;
  };
  // Takes a snapshot for process `pid`. The engine's errors.
  absl::StatusOr<Pin> Open(pid_t pid);
  // The pinned snapshot, shared so that a release cannot pull it from under
  // a read in progress. kOutOfRange when `id` names none (released, or
  // pinned by an earlier owner).
  absl::StatusOr<std::shared_ptr<Snapshot>> Find(std::uint64_t id);
  // Releasing an unknown id is OK: a retried release, or an earlier owner's.
  void Release(std::uint64_t id);
  // Releases the pins of processes that no longer exist; at most once a
  // second unless `now` is set.
  void Sweep(bool now = false);
  std::size_t size();

 private:
  struct Entry {
    std::shared_ptr<Snapshot> snapshot;
    pid_t pid = 0;
  };

  EngineImpl* const engine_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::uint64_t, Entry> pins_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::atomic<std::size_t> count_{0};
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_PINNED_SNAPSHOTS_H_
