// Many processes, one store (docs/processes.md).
//
// RocksDB lets one process open a directory. Engine::Open makes that
// invisible: the first opener holds RocksDB (the *owner*) and serves the
// store on a Unix domain socket inside the directory (`cask.sock`, mode
// 0600, peers of another uid refused with SO_PEERCRED). Any later opener
// in another process finds RocksDB's LOCK held and becomes a *client*: an
// Engine whose every operation is forwarded over the socket and answered
// with the owner's own results and statuses (CAS mismatch payloads
// included).
//
// Failover: a client that loses its connection (the owner exited or was
// killed) tries to connect again and, failing that, to open RocksDB itself;
// the winner starts serving, the others reconnect. A background thread per
// client does this as soon as the connection drops.
//
// Exactly-once: every forwarded write carries (client id, sequence). The
// owner records the successful outcome in the sys column family in the
// same RocksDB write as the data (WriteRequest::outcome_key), so a request
// retried after a failover returns its first result instead of being
// applied again. A failed precondition is not recorded: it wrote nothing,
// and evaluating the retry again is a valid linearization.
// Records are bounded (ipc_outcomes.h): pruned below a client's settled
// sequence, dropped on its goodbye, and dropped after an hour.
//
// Deadlines: every forwarded call ends by EngineOptions::ipc_call_timeout
// (kUnavailable: not sent; kUnknown: a write was sent); a stopped owner
// cannot hold a client thread, nor its destructor, forever.
//
// Durability: a write of a process that opened the store kDurable is
// fsynced by the owner even if the owner opened it kBuffered.
//
// The files, one concept each: docs/processes.md, "Code".
//
// Internal to cask_engine, except the test hooks at the end.
#ifndef CASK_ENGINE_ROCKSDB_IPC_H_
#define CASK_ENGINE_ROCKSDB_IPC_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cask/batch.h"
#include "cask/engine.h"

namespace cask::engine {

namespace ipc {

// The socket's file name inside the store directory.
inline constexpr char kSocketName[] = "cask.sock";
// Prefix of the outcome records in the sys column family.
inline constexpr char kOutcomePrefix[] = "ipc/outcome/";

// Engine::Open's hook. Takes the owner's lock (flock on the directory) and
// opens RocksDB: returns an owner serving the socket. The lock held by
// another process: returns a client of it. Held by this process:
// kUnavailable (one Engine per store and process). Otherwise the engine's
// own error.
absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& path,
                                             const EngineOptions& options);

// --- Test hooks (tests/processes, bench/processes).

// Whether this process may own stores (default true). With false, Open
// always returns a client and clients only reconnect when the owner goes
// away, so a test can keep owners in dedicated processes that it kills.
void SetTakeoverAllowed(bool allowed);
// Whether clients opened from now on ask their owner for a shared-memory
// ring (default true). With false they use the socket alone: the design
// before rings, kept for measurements side by side.
void SetRingTransport(bool enabled);
// How many calls of this process were answered through a ring.
std::uint64_t TEST_RingCalls();
// The pid of the process serving the store at `path` (SO_PEERCRED).
absl::StatusOr<pid_t> OwnerPid(const std::string& path);
// True when `engine` (from Engine::Open) forwards to another process now.
bool IsClient(const Engine& engine);
// The number of outcome records in the store; `engine` must be the owner
// (kFailedPrecondition otherwise).
absl::StatusOr<std::uint64_t> TEST_CountOutcomeRecords(Engine& engine);
// The number of snapshots the owner pins for other processes (and for its
// own calls, if it took over); `engine` must be the owner
// (kFailedPrecondition otherwise).
absl::StatusOr<std::uint64_t> TEST_CountPinnedSnapshots(Engine& engine);
// How old an outcome record gets before the owner of a store drops it
// (default one hour); for tests of the bound.
void TEST_SetOutcomeRetention(absl::Duration age);
// How long a process holds a key's turn it does not use (ipc_key_turns.h;
// default 2 ms, zero restores it); tests make it long so that a bound on
// retries does not depend on scheduling.
void TEST_SetTurnDuration(absl::Duration turn);

}  // namespace ipc
}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_IPC_H_
