// Connection: a client process's connection to the owner of a store. All
// threads of the process share it: each call gets an id, a reader thread
// matches the owner's answers to the waiting callers (pipelining). With a
// ring (ipc_ring.h), short calls go through shared memory instead and the
// socket carries the rest; the reader still watches the socket, so the
// owner's death ends ring calls too.
//
// Every call has a deadline: a caller waits for its answer (and for its
// turn to write) no longer than that, so a stopped or stuck owner cannot
// hold a thread forever. A call that times out aborts the connection (the
// caller treats the owner as dead; the other calls on it end too and
// retry on a new connection).
//
// Thread safety: safe for concurrent use.
#ifndef CASK_ENGINE_ROCKSDB_IPC_CONNECTION_H_
#define CASK_ENGINE_ROCKSDB_IPC_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ipc_ring.h"
#include "ipc_spin.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

// Whether new connections ask for a ring (ipc.h, SetRingTransport).
bool RingTransportEnabled();

// Asks the owner on the fresh socket `fd` for a ring (before any other
// call on it). kUnimplemented when the owner refuses (it does not serve
// rings: go on with the socket alone, on a new connection, since an owner
// that refused an unknown request closes this one); kUnavailable when it
// does not answer by `deadline` or the connection drops.
absl::StatusOr<std::unique_ptr<Ring>> RequestRing(int fd, absl::Time deadline);

class Connection {
 public:
  // Takes ownership of the connected socket `fd` and of `ring` (nullptr:
  // every call on the socket).
  explicit Connection(int fd, std::unique_ptr<Ring> ring = nullptr);
  // Aborts, then waits for the reader thread.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  struct Reply {
    enum class Kind {
      kAnswered,  // payload: the owner's response
      kRefused,   // status: why the owner refused the request (not executed)
      kLost,      // the connection dropped before the answer
      kTimedOut,  // no answer by the deadline (the connection is aborted)
    };
    Kind kind = Kind::kLost;
    // Some of the request may have reached the owner.
    bool sent = false;
    std::string payload;
    absl::Status status;
  };

  // Sends a request and waits for its answer until `deadline`.
  // REQUIRES: payload.size() <= kMaxPayload.
  Reply Call(Type type, std::string_view payload, absl::Time deadline);

  // Sends a request whose answer nobody waits for (the reader drops it):
  // for a request whose outcome the caller cannot use, so that an owner
  // slow to answer costs nothing. Waits for its turn to write and for the
  // frame to go out until `deadline` only; false when it did not (the
  // connection is then aborted, as for a call that times out) or the
  // connection is dead. The request is on the socket, never the ring.
  // REQUIRES: payload.size() <= kMaxPayload.
  bool Post(Type type, std::string_view payload, absl::Time deadline);

  // Drops the connection: calls waiting on it end (kLost) and later ones
  // fail at once.
  void Abort();
  bool dead();
  // Waits until the connection drops or `stop` is set. Whoever sets `stop`
  // then calls Wake().
  void WaitDead(const std::atomic<bool>& stop);
  // Makes WaitDead look at its `stop` again.
  void Wake();

 private:
  struct Pending {
    bool done = false;
    bool refused = false;
    std::string payload;
  };
  void ReadLoop();
  // A call through the ring; nullopt when it must go on the socket (no
  // free slot, or the answer did not fit a slot).
  std::optional<Reply> RingCall(Type type, std::string_view payload,
                                absl::Time deadline);
  // Marks the ring dead and wakes every thread waiting on it.
  void KillRing();

  const int fd_;
  const std::unique_ptr<Ring> ring_;
  std::atomic<bool> ring_dead_{false};
  std::atomic<std::uint32_t> slot_hint_{0};
  // How long callers poll for a ring answer before they sleep.
  SpinBudget spin_;
  std::thread reader_;
  // Held while a frame is written, so frames do not interleave.
  absl::Mutex write_mu_;
  absl::Mutex mu_;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  std::uint64_t next_call_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::uint64_t, Pending*> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_CONNECTION_H_
