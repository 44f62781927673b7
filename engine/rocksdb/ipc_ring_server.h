// RingServer: the owner's side of one connection's ring (ipc_ring.h). A
// thread takes the client's requests in ticket order (FIFO) and runs them
// on the Service; when several wait at once it hands all but the last to
// the Server's workers, so that a client's concurrent writes reach the
// engine's write queue together (group commit), and runs the last itself
// (no hand-off for a lone call).
//
// Thread safety: construct and destroy from one thread.
#ifndef CASK_ENGINE_ROCKSDB_IPC_RING_SERVER_H_
#define CASK_ENGINE_ROCKSDB_IPC_RING_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "ipc_ring.h"
#include "ipc_service.h"
#include "ipc_spin.h"

namespace cask::engine::ipc {

class RingServer {
 public:
  // Runs `job` on another thread (the Server's workers).
  using Dispatch = std::function<void(std::function<void()> job)>;

  // Starts serving `ring`; `service` must outlive the jobs dispatched.
  // `session`: the connection's pinned snapshots (ipc_pinned_snapshots.h).
  RingServer(std::shared_ptr<Ring> ring, Service* service,
             std::shared_ptr<PinnedSnapshots::Session> session,
             Dispatch dispatch);
  // Stops the thread (requests still in slots are left unanswered: the
  // connection is closing).
  ~RingServer();
  RingServer(const RingServer&) = delete;
  RingServer& operator=(const RingServer&) = delete;

  // Runs the request read from `slot` (`checked`: ReadRingRequest's
  // verdict) and writes its answer there.
  static void Run(Ring& ring, Service& service,
                  PinnedSnapshots::Session& session, std::uint32_t slot,
                  const absl::Status& checked, SlotFields fields,
                  const std::string& payload);

 private:
  void Loop();

  const std::shared_ptr<Ring> ring_;
  Service* const service_;
  const std::shared_ptr<PinnedSnapshots::Session> session_;
  const Dispatch dispatch_;
  std::atomic<bool> stop_{false};
  // How long the thread polls for the next request before it sleeps.
  SpinBudget spin_;
  std::thread thread_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_RING_SERVER_H_
