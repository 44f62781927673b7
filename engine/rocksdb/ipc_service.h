// Service: executes decoded requests of client processes on the owner's
// engine, with exactly-once writes (docs/processes.md). Knows nothing of
// sockets: the Server feeds it frames from connections, and a process that
// took over a store feeds it its own requests.
//
// Thread safety: Handle may be called from any number of threads.
#ifndef CASK_ENGINE_ROCKSDB_IPC_SERVICE_H_
#define CASK_ENGINE_ROCKSDB_IPC_SERVICE_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine_impl.h"
#include "ipc_key_turns.h"
#include "ipc_outcomes.h"
#include "ipc_pinned_snapshots.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

class Service {
 public:
  // `engine` must outlive the Service.
  explicit Service(EngineImpl* engine)
      : engine_(engine),
        outcomes_(engine),
        snapshots_(engine),
        own_session_(snapshots_.NewSession()) {}
  // Releases the snapshots pinned for this process's own calls.
  ~Service();

  // The response payload for one request (its status, then its result when
  // OK). An error status when the payload is malformed: nothing was
  // executed (the Server answers it with a kError frame). Snapshots the
  // request pins or names are `session`'s: the session of the connection
  // it came on.
  absl::StatusOr<std::string> Handle(Type type, std::string_view payload,
                                     PinnedSnapshots::Session& session);
  // A request of this process to itself (it took over the store): its
  // pins live in a session of their own, released with the Service.
  absl::StatusOr<std::string> HandleOwn(Type type, std::string_view payload) {
    return Handle(type, payload, *own_session_);
  }

  EngineImpl* engine() const { return engine_; }
  OutcomeKeeper& outcomes() { return outcomes_; }
  PinnedSnapshots& snapshots() { return snapshots_; }
  // The turns on contended keys, shared with the owner's own calls.
  KeyTurns& turns() { return turns_; }

 private:
  // `session` learns the client id its writes carry.
  absl::StatusOr<std::string> HandleWrite(Type type, std::string_view payload,
                                          PinnedSnapshots::Session& session);
  // A read of `key` by the client of `session` waits for its turn on the
  // key when it waits in line (KeyTurns::AwaitRead).
  void AwaitReadTurn(const std::string& key,
                     const PinnedSnapshots::Session& session);
  // Waits while a request with the same outcome key is executing (a retry
  // racing its original on this owner), then marks it executing.
  void Enter(const std::string& key);
  void Leave(const std::string& key);

  EngineImpl* const engine_;
  OutcomeKeeper outcomes_;
  PinnedSnapshots snapshots_;
  const std::shared_ptr<PinnedSnapshots::Session> own_session_;
  KeyTurns turns_;
  absl::Mutex mu_;
  std::set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_SERVICE_H_
