// SharedEngine: what Engine::Open returns for a store that processes
// share (docs/processes.md). Either the owner (RocksDB in this process,
// served to the others; its own calls go straight to the engine) or a
// client forwarding every call to the owner over one pipelined Connection,
// which takes over the store when the owner goes away.
//
// Every forwarded call has a deadline (EngineOptions::ipc_call_timeout)
// that covers retries across failovers; a background thread reconnects
// (or takes over) as soon as the connection drops.
//
// Thread safety: safe for concurrent use, as every Engine.
#ifndef CASK_ENGINE_ROCKSDB_IPC_SHARED_ENGINE_H_
#define CASK_ENGINE_ROCKSDB_IPC_SHARED_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cask/engine.h"
#include "ipc_connection.h"
#include "ipc_key_turns.h"
#include "ipc_owner.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

class SharedEngine final : public Engine {
 public:
  SharedEngine(std::string path, EngineOptions options);
  // Tells the owner this client's outcome records may go, then stops the
  // failover thread. Bounded even when the owner is stopped.
  ~SharedEngine() override;

  // This process owns the store from the start.
  void InitOwner(std::unique_ptr<Owner> owner);
  // Connects to the owner (or takes over when there is none); kUnavailable
  // when neither works before the call deadline.
  absl::Status InitClient();

  bool is_client() const;
  // The engine when this process owns the store (from the start or by
  // taking over), else nullptr.
  Owner* owner();

  std::string_view name() const override { return "engine"; }
  Capabilities capabilities() const override;
  std::uint64_t revision() const override;
  std::string_view store_id() const override;
  absl::Status RunMaintenance() override;
  absl::Status Compact() override;

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override;
  // The owner reads into item's buffers; a client forwards like DoGet.
  absl::Status DoGetInto(const std::string& key, Item* item) override;
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override;
  absl::StatusOr<bool> DoHas(const std::string& key) override;
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override;
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override;
  // Pages through the owner (kScan), so no answer holds the whole store.
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
  // ipc_snapshot.cc: snapshots and GetAt, forwarded like reads; the
  // owner pins a client's snapshot (ipc_pinned_snapshots.h).
  absl::StatusOr<std::unique_ptr<Snapshot>> DoOpenSnapshot() override;
  absl::StatusOr<Item> DoGetAt(const std::string& key,
                               std::uint64_t revision) override;

 private:
  class ClientSnapshot;

  class InFlight;

  // A kScan request of the live store (snapshot_id 0) or of a pinned
  // snapshot, and the page its answer holds.
  static std::string ScanRequest(std::uint64_t snapshot_id,
                                 const std::string& base,
                                 const ScanOptions& options);
  static absl::StatusOr<ScanPage> ScanAnswer(
      const absl::StatusOr<std::string>& out, const ScanOptions& options);
  // A call on connection generation `gen` alone, the one whose owner
  // session holds a snapshot's pin: never retried elsewhere. kOutOfRange
  // (the pin is gone) when the connection changed or drops before the
  // answer, or the owner does not answer by `deadline` (which aborts the
  // connection).
  absl::StatusOr<std::string> CallOnGeneration(std::uint64_t gen, Type type,
                                               std::string_view payload,
                                               absl::Time deadline);

  // Sends a request on connection generation `gen` alone without waiting
  // for its answer (Connection::Post); the own service answers it at once
  // when this process owns the store. Nothing is sent when the connection
  // changed (whatever the request concerned went with the old one).
  void PostOnGeneration(std::uint64_t gen, Type type, std::string_view payload,
                        absl::Time deadline);

  // The deadline of a call starting at `start`.
  absl::Time CallDeadline(absl::Time start) const;
  // Starts a forwarded write: (client id, sequence, settled_below, flags).
  void WriteHeader(Writer& w, std::uint64_t seq);
  // Sends a request, retrying across failovers until its deadline; the
  // response payload (status + body). `answered_on`, when given, receives
  // the generation of the connection that answered.
  absl::StatusOr<std::string> Roundtrip(Type type, std::string_view payload,
                                        bool write,
                                        std::uint64_t* answered_on = nullptr);
  absl::Status StatusOnly(Type type, std::string_view payload, bool write);
  // Replaces connection generation `gen` with a new connection or makes
  // this process the owner, trying until `deadline`. OK at once if another
  // thread already did.
  absl::Status Reconnect(std::uint64_t gen, absl::Time deadline);
  // Reconnects (or takes over) as soon as the connection drops.
  void FailoverLoop();
  void SayGoodbye();

  const std::string path_;
  const EngineOptions options_;
  const std::uint64_t client_id_;

  absl::Mutex seq_mu_;
  std::uint64_t next_seq_ ABSL_GUARDED_BY(seq_mu_) = 1;
  std::set<std::uint64_t> in_flight_ ABSL_GUARDED_BY(seq_mu_);

  std::atomic<bool> stop_{false};
  mutable std::atomic<std::uint64_t> last_revision_{0};

  // Set once, before this object is returned to the caller, for an owner
  // from the start; never changed: read without a lock (the owner's hot
  // path takes none).
  EngineImpl* local_ = nullptr;
  // The owner's turns on contended keys (ipc_key_turns.h), with local_.
  KeyTurns* local_turns_ = nullptr;

  // Set by the first InitOwner / InitClient, before this object is
  // returned; never changed.
  Capabilities caps_;
  std::string store_id_;

  mutable absl::Mutex state_mu_;
  std::unique_ptr<Owner> owner_ ABSL_GUARDED_BY(state_mu_);
  std::shared_ptr<Connection> conn_ ABSL_GUARDED_BY(state_mu_);
  // A connection whose hello is in progress (the destructor aborts it).
  std::shared_ptr<Connection> connecting_ ABSL_GUARDED_BY(state_mu_);
  // A fresh socket asking for its ring (the destructor shuts it down).
  int connecting_fd_ ABSL_GUARDED_BY(state_mu_) = -1;
  std::uint64_t gen_ ABSL_GUARDED_BY(state_mu_) = 0;
  // The owner refused a ring once: socket alone from then on.
  std::atomic<bool> no_ring_{false};

  // One thread at a time looks for the owner.
  absl::Mutex reconnect_mu_;
  std::thread failover_thread_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_SHARED_ENGINE_H_
