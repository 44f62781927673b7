// KeyTurns: fairness between the processes writing one key (docs/
// processes.md, "Turns").
//
// Without it the owner process wins almost every race on a hot key: its CAS
// costs a few microseconds, a client's read-then-CAS a few round trips, so
// the key has always changed by the time the client's CAS arrives. So the
// owner keeps, per contended key, a FIFO of the processes whose write on it
// failed its precondition (kAborted). The process at the head holds the
// key's *turn*: writes of other processes on that key wait until the holder
// wrote it successfully (its turn is used, the next in the queue gets it)
// or until the turn expires (a process that failed and went away delays
// others by at most one turn). A holder whose write fails again keeps its
// turn: it read while others were still ahead of it. A process whose write
// waits for another's turn joins the queue; a holder that used its turn
// goes to the back while others still wait, so a contended key rotates
// between the processes writing it, the owner included.
//
// A read of the key by a process in its queue waits for that process's
// turn (AwaitRead): it then reads the value its CAS is checked against, and
// the CAS succeeds, one round trip per turn instead of three.
//
// A failed write is answered only once its process holds the turn (the
// turns ahead of it used or expired), and after the writes of others
// already past Enter on that key have finished, so the holder's next read
// sees the last value anyone can write before its turn is used: its next
// CAS succeeds unless the turn expires first (tests/processes/
// fairness_test). Answering earlier would let it read a value that the
// holders ahead of it are about to replace, and fail again.
//
// Keys nobody queues on cost two atomic operations per write and no lock.
// Only single-key writes (Set, Remove) take turns; a Commit or Clear does
// not wait for them (it may still make a holder's CAS fail once).
//
// Thread safety: all methods may be called from any thread.
#ifndef CASK_ENGINE_ROCKSDB_IPC_KEY_TURNS_H_
#define CASK_ENGINE_ROCKSDB_IPC_KEY_TURNS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ipc_spin.h"

namespace cask::engine::ipc {

// How long a process holds a turn it does not use.
inline constexpr absl::Duration kDefaultTurn = absl::Milliseconds(2);

class KeyTurns {
 public:
  // Who writes: a client's id, or kOwnerProcess for the owner's own calls.
  using Process = std::uint64_t;
  static constexpr Process kOwnerProcess = 0;

  // A write between Enter and Leave.
  class Pass {
   private:
    friend class KeyTurns;
    bool tracked = false;  // counted in its key's entry, not untracked_
  };

  KeyTurns() = default;
  KeyTurns(const KeyTurns&) = delete;
  KeyTurns& operator=(const KeyTurns&) = delete;

  // Waits while another process holds the turn on `key` (at most until
  // that turn expires, one turn per process queued ahead), then lets the
  // write of `who` go.
  Pass Enter(const std::string& key, Process who);
  // Ends the write of `who` on `key` that Enter let go, with its status:
  // kAborted queues `who` for the key's turn (and waits for the writes of
  // others already let go on it); OK uses the turn of `who` if it held it.
  void Leave(const std::string& key, Process who, const Pass& pass,
             const absl::Status& status);
  // Before a read of `key` by `who`: when `who` waits in line for a turn
  // on it, waits for that turn (at most until the turns ahead expire), so
  // that the value read is the one its write will be checked against.
  void AwaitRead(const std::string& key, Process who);
  // `who` went away (its connection ended): it leaves every line, and a
  // turn it held passes on.
  void Forget(Process who);

 private:
  struct Entry {
    std::deque<Process> queue;  // the head holds the turn
    absl::Time head_deadline;   // when the head's turn expires
    int active = 0;             // tracked writes let go, not yet left
  };
  void PopHead(Entry& e, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Enqueue(Entry& e, Process who, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the turns that expired on every key (a holder that went away
  // while nobody waited on its key).
  void ExpireAll(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until the writes let go on `key` before this call have left.
  void Drain(const std::string& key, absl::Time until)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until `who` holds the turn on `key` (or left its queue): the
  // turns ahead of it are used or expire.
  void AwaitTurn(const std::string& key, Process who)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until a turn passes (generation_ moves from `seen`) or `until`:
  // polls for a while without the lock, then sleeps on it.
  void AwaitPass(std::uint64_t seen, absl::Time until)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseIfIdle(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Keys with a non-empty queue. While 0, writes skip the lock (untracked).
  std::atomic<int> queued_keys_{0};
  // Writes let go without the lock, not yet left.
  std::atomic<int> untracked_{0};

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Bumped whenever a turn passes: waiters look again.
  // Written under mu_; read without it by waiters that poll.
  std::atomic<std::uint64_t> generation_{0};
  // How long a waiter polls for the turn to pass before it sleeps: a
  // wake-up from a futex costs tens of microseconds on a quiet virtual
  // machine, more than a client's turn (ipc_spin.h).
  SpinBudget spin_;
  absl::Time next_expiry_scan_ ABSL_GUARDED_BY(mu_);
};

// The turn length of this process (kDefaultTurn unless a test changed it
// with ipc::TEST_SetTurnDuration).
absl::Duration TurnDuration();

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_KEY_TURNS_H_
