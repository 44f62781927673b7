// Ring: the shared-memory fast path between a client process and the owner
// of a store (docs/processes.md, "Shared-memory rings").
//
// Per connection, the owner creates a memfd holding a head and kRingSlots
// slots, seals its size (so a client cannot shrink it under the owner's
// mapping) and passes it over the socket (SCM_RIGHTS), which keeps the
// handshake, the credentials check and liveness. A client thread claims a
// free slot, writes a request (the same payload as a socket frame), bumps
// the doorbell and waits on the slot's state; the owner's ring thread takes
// requests in ticket order, runs them and writes the answer into the slot.
// Both sides spin briefly before they sleep on a futex, and wake the other
// only when it sleeps.
//
// The owner never trusts the mapping: sizes are constants of this file,
// every type and length is checked (CheckRingRequest) and the payload is
// copied out before it is parsed.
//
// Thread safety: the slot protocol is the synchronisation; a Ring object
// itself is immutable after construction.
#ifndef CASK_ENGINE_ROCKSDB_IPC_RING_H_
#define CASK_ENGINE_ROCKSDB_IPC_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

inline constexpr std::uint32_t kRingMagic = 0x31474e52;  // "RNG1"
inline constexpr std::uint32_t kRingSlots = 32;
// Payload bytes per slot. Pages of a memfd are allocated when touched, so
// slots cost memory only as far as they are used.
inline constexpr std::uint32_t kRingSlotBytes = 64 * 1024 - 64;

// A slot's life: the client claims a free slot, fills it and publishes the
// request; the owner takes it, answers it; the client reads the answer and
// frees it.
enum SlotState : std::uint32_t {
  kSlotFree = 0,
  kSlotClaimed = 1,
  kSlotRequest = 2,
  kSlotRunning = 3,
  kSlotAnswered = 4,
};

// The answer type of a response that did not fit the slot: the client
// asks again on the socket (a write's retry is answered from its outcome
// record, so it is not applied twice).
inline constexpr std::uint32_t kRingTooBig = 0;

struct alignas(64) RingHead {
  std::atomic<std::uint32_t> magic;
  std::atomic<std::uint32_t> slots;
  std::atomic<std::uint32_t> slot_bytes;
  // Bumped by the client after each request; the owner sleeps on it.
  std::atomic<std::uint32_t> doorbell;
  std::atomic<std::uint32_t> owner_asleep;
  // Orders the requests of all threads of the client (FIFO).
  std::atomic<std::uint64_t> next_ticket;
};

struct alignas(64) SlotHead {
  std::atomic<std::uint32_t> state;
  std::atomic<std::uint32_t> client_asleep;
  std::atomic<std::uint32_t> type;
  std::atomic<std::uint32_t> length;
  std::atomic<std::uint64_t> ticket;
};

// The fields of a slot as one side read them (once).
struct SlotFields {
  std::uint32_t type = 0;
  std::uint32_t length = 0;
};

// Request types a client may put in a ring: the calls that are short and
// small (reads of a pinned snapshot and at a revision among them). The
// others (hello, scans, clear, compaction, maintenance, goodbye, opening
// and releasing a snapshot) use the socket.
bool IsRingType(Type type);
// OK when the owner may run a slot's request; else why not (the slot is
// answered with a kError refusal, and the connection goes on).
absl::Status CheckRingRequest(const SlotFields& f);
// OK when a client may read a slot's answer; else the owner is broken.
absl::Status CheckRingAnswer(const SlotFields& f);

class Ring;
// Reads the request published in `slot` once: its fields and a copy of its
// payload (the client may change the slot meanwhile; the copy does not
// change). The CheckRingRequest status when the owner must refuse it.
absl::Status ReadRingRequest(const Ring& ring, std::uint32_t slot,
                             SlotFields* fields, std::string* payload);
// Reads the answer in `slot` once, checked by CheckRingAnswer.
absl::Status ReadRingAnswer(const Ring& ring, std::uint32_t slot,
                            SlotFields* fields, std::string* payload);

class Ring {
 public:
  static constexpr std::size_t kBytes =
      sizeof(RingHead) + static_cast<std::size_t>(kRingSlots) *
                             (sizeof(SlotHead) + kRingSlotBytes);

  // Owner: a new ring in a sealed memfd; *fd receives the descriptor to
  // pass to the client (the caller closes it). kUnavailable on failure.
  static absl::StatusOr<std::unique_ptr<Ring>> Create(int* fd);
  // Client: maps the descriptor received from the owner after checking its
  // seals, size and head. kFailedPrecondition when it is not such a ring.
  static absl::StatusOr<std::unique_ptr<Ring>> Map(int fd);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  RingHead& head() const { return *static_cast<RingHead*>(base_); }
  SlotHead& slot(std::uint32_t i) const;
  char* data(std::uint32_t i) const;

 private:
  explicit Ring(void* base) : base_(base) {}
  void* const base_;
};

// Futexes on shared memory (not FUTEX_PRIVATE: the other process waits on
// the same word). Wait returns when *word != expected, on a wake, or after
// `timeout`.
void FutexWait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
               absl::Duration timeout);
void FutexWake(std::atomic<std::uint32_t>* word, int waiters);

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_RING_H_
