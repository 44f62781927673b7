#include "ipc_connection.h"

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc.h"
#include "ipc_socket.h"

namespace cask::engine::ipc {

namespace {

// The longest futex sleep between looks at the connection's state.
constexpr absl::Duration kMaxSleep = absl::Milliseconds(10);

std::atomic<bool> g_ring_transport{true};
std::atomic<std::uint64_t> g_ring_calls{0};

}  // namespace

void SetRingTransport(bool enabled) { g_ring_transport.store(enabled); }
std::uint64_t TEST_RingCalls() { return g_ring_calls.load(); }
bool RingTransportEnabled() { return g_ring_transport.load(); }

absl::StatusOr<std::unique_ptr<Ring>> RequestRing(int fd, absl::Time deadline) {
  if (!SendFrame(fd, Type::kAttachRing, /*call=*/1, "", deadline)) {
    return absl::UnavailableError("cask ipc: cannot ask the owner for a ring");
  }
  Header h;
  std::string payload;
  int ring_fd = -1;
  bool got = ReceiveFrameWithFd(fd, &h, &payload, &ring_fd, deadline);
  struct CloseFd {
    int fd;
    ~CloseFd() {
      if (fd >= 0) close(fd);
    }
  } close_ring{ring_fd};
  if (!got) {
    return absl::UnavailableError(
        "cask ipc: the owner did not answer the ring request");
  }
  Reader r(payload);
  absl::Status s = r.StatusOf();
  if (h.type == static_cast<std::uint8_t>(Type::kError) || !s.ok()) {
    return absl::UnimplementedError(
        absl::StrCat("cask ipc: the owner serves no ring: ", s.message()));
  }
  std::uint32_t slots = r.U32();
  std::uint32_t slot_bytes = r.U32();
  if (!r.done() || slots != kRingSlots || slot_bytes != kRingSlotBytes ||
      ring_fd < 0) {
    return absl::UnimplementedError("cask ipc: the owner's ring differs");
  }
  return Ring::Map(ring_fd);  // the mapping outlives the descriptor
}

Connection::Connection(int fd, std::unique_ptr<Ring> ring)
    : fd_(fd), ring_(std::move(ring)) {
  reader_ = std::thread([this] { ReadLoop(); });
}

Connection::~Connection() {
  Abort();
  reader_.join();
  close(fd_);
}

void Connection::Abort() {
  // Wakes the reader (its recv returns 0), which marks the connection dead
  // and wakes every waiting caller.
  shutdown(fd_, SHUT_RDWR);
  KillRing();
  absl::MutexLock lock(&mu_);
  dead_ = true;
}

void Connection::KillRing() {
  if (ring_ == nullptr) return;
  ring_dead_.store(true, std::memory_order_seq_cst);
  for (std::uint32_t i = 0; i < kRingSlots; ++i) {
    FutexWake(&ring_->slot(i).state, INT32_MAX);
  }
}

bool Connection::dead() {
  absl::MutexLock lock(&mu_);
  return dead_;
}

void Connection::WaitDead(const std::atomic<bool>& stop) {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return dead_ || stop.load();
  };
  mu_.Await(absl::Condition(&done));
}

void Connection::Wake() {
  // absl::Mutex evaluates the waiters' conditions when it is released: an
  // empty critical section after `stop` was set is enough, and cannot be
  // lost between a waiter's check and its sleep (it checks under mu_).
  absl::MutexLock lock(&mu_);
}

Connection::Reply Connection::Call(Type type, std::string_view payload,
                                   absl::Time deadline) {
  std::string retry;
  if (ring_ != nullptr && IsRingType(type) &&
      payload.size() <= kRingSlotBytes) {
    if (std::optional<Reply> r = RingCall(type, payload, deadline)) {
      return *std::move(r);
    }
    // On the socket now. A write whose answer did not fit the slot was
    // executed: its resend must find the outcome record.
    if (IsWriteRequest(type)) {
      retry = AsRetry(payload);
      payload = retry;
    }
  }
  Reply reply;
  Pending p;
  std::uint64_t call;
  {
    absl::MutexLock lock(&mu_);
    if (dead_) return reply;
    call = next_call_++;
    pending_[call] = &p;
  }
  auto forget = [&] {
    absl::MutexLock lock(&mu_);
    pending_.erase(call);
  };
  // Our turn to write, then the frame, both within the deadline.
  if (!write_mu_.LockWhenWithDeadline(absl::Condition::kTrue, deadline)) {
    write_mu_.Unlock();
    forget();
    reply.kind = Reply::Kind::kTimedOut;
    Abort();
    return reply;
  }
  reply.sent = true;
  bool wrote = SendFrame(fd_, type, call, payload, deadline);
  write_mu_.Unlock();
  if (!wrote) {
    // Part of a frame may be out: the stream cannot be used any more.
    Abort();
  }
  bool in_time;
  {
    absl::MutexLock lock(&mu_);
    auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return p.done || dead_;
    };
    in_time = mu_.AwaitWithDeadline(absl::Condition(&settled), deadline);
    pending_.erase(call);
  }
  // The reader no longer touches `p`.
  if (p.done && p.refused) {
    Reader r(p.payload);
    reply.kind = Reply::Kind::kRefused;
    reply.status = r.StatusOf();
    if (reply.status.ok()) {
      reply.status = absl::InternalError("cask ipc: malformed refusal");
    }
  } else if (p.done) {
    reply.kind = Reply::Kind::kAnswered;
    reply.payload = std::move(p.payload);
  } else if (!in_time) {
    reply.kind = Reply::Kind::kTimedOut;
    Abort();  // the owner is treated as dead
  } else {
    reply.kind = Reply::Kind::kLost;
  }
  return reply;
}

bool Connection::Post(Type type, std::string_view payload,
                      absl::Time deadline) {
  std::uint64_t call;
  {
    absl::MutexLock lock(&mu_);
    if (dead_) return false;
    call = next_call_++;  // never in pending_: ReadLoop drops its answer
  }
  if (!write_mu_.LockWhenWithDeadline(absl::Condition::kTrue, deadline)) {
    write_mu_.Unlock();
    Abort();
    return false;
  }
  const bool wrote = SendFrame(fd_, type, call, payload, deadline);
  write_mu_.Unlock();
  // Part of a frame may be out: the stream cannot be used any more.
  if (!wrote) Abort();
  return wrote;
}

std::optional<Connection::Reply> Connection::RingCall(Type type,
                                                      std::string_view payload,
                                                      absl::Time deadline) {
  Reply reply;
  if (ring_dead_.load()) return reply;  // kLost, nothing sent
  // Claim a free slot, starting where the last claim ended.
  const std::uint32_t start =
      slot_hint_.fetch_add(1, std::memory_order_relaxed);
  std::uint32_t i = 0;
  bool claimed = false;
  for (std::uint32_t k = 0; k < kRingSlots && !claimed; ++k) {
    i = (start + k) % kRingSlots;
    std::uint32_t expected = kSlotFree;
    claimed =
        ring_->slot(i).state.compare_exchange_strong(expected, kSlotClaimed);
  }
  if (!claimed) return std::nullopt;  // all busy: the socket pipelines
  SlotHead& s = ring_->slot(i);
  RingHead& head = ring_->head();
  std::memcpy(ring_->data(i), payload.data(), payload.size());
  s.type.store(static_cast<std::uint32_t>(type), std::memory_order_relaxed);
  s.length.store(static_cast<std::uint32_t>(payload.size()),
                 std::memory_order_relaxed);
  s.ticket.store(head.next_ticket.fetch_add(1, std::memory_order_relaxed),
                 std::memory_order_relaxed);
  s.client_asleep.store(0, std::memory_order_relaxed);
  s.state.store(kSlotRequest, std::memory_order_seq_cst);
  reply.sent = true;
  head.doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (head.owner_asleep.load(std::memory_order_seq_cst) != 0) {
    FutexWake(&head.doorbell, 1);
  }
  // Wait for the answer: poll (yielding between looks) for as long as
  // answers took lately (ipc_spin.h), then sleep on the slot's state.
  const std::int64_t sent_at = absl::GetCurrentTimeNanos();
  auto answered = [&] {
    return s.state.load(std::memory_order_acquire) == kSlotAnswered;
  };
  PollYielding(sent_at + spin_.nanos(), answered);
  while (!answered()) {
    if (ring_dead_.load()) {
      reply.kind = Reply::Kind::kLost;  // the slot stays taken: ring dead
      return reply;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      reply.kind = Reply::Kind::kTimedOut;
      Abort();  // the owner is treated as dead
      return reply;
    }
    s.client_asleep.store(1, std::memory_order_seq_cst);
    const std::uint32_t state = s.state.load(std::memory_order_seq_cst);
    if (state != kSlotAnswered) {
      FutexWait(&s.state, state, std::min(left, kMaxSleep));
    }
    s.client_asleep.store(0, std::memory_order_relaxed);
  }
  spin_.Observe(absl::GetCurrentTimeNanos() - sent_at);
  SlotFields f;
  std::string answer;
  if (absl::Status bad = ReadRingAnswer(*ring_, i, &f, &answer); !bad.ok()) {
    // An owner we cannot follow: treat it as dead.
    s.state.store(kSlotFree, std::memory_order_release);
    Abort();
    reply.kind = Reply::Kind::kLost;
    return reply;
  }
  if (f.type == kRingTooBig) {
    s.state.store(kSlotFree, std::memory_order_release);
    return std::nullopt;  // asked again on the socket
  }
  s.state.store(kSlotFree, std::memory_order_release);
  g_ring_calls.fetch_add(1, std::memory_order_relaxed);
  if (f.type == static_cast<std::uint32_t>(Type::kError)) {
    Reader r(answer);
    reply.kind = Reply::Kind::kRefused;
    reply.status = r.StatusOf();
    if (reply.status.ok()) {
      reply.status = absl::InternalError("cask ipc: malformed refusal");
    }
    return reply;
  }
  reply.kind = Reply::Kind::kAnswered;
  reply.payload = std::move(answer);
  return reply;
}

void Connection::ReadLoop() {
  char head[kHeaderBytes];
  for (;;) {
    if (!ReadFull(fd_, head, kHeaderBytes)) break;
    Header h = DecodeHeader(head);
    if (!CheckHeader(h, /*from_client=*/false).ok()) break;
    std::string payload(h.length, '\0');
    if (!ReadFull(fd_, payload.data(), h.length)) break;
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(h.call);
    if (it == pending_.end()) continue;  // its caller gave up
    it->second->done = true;
    // A refusal names its call; one with call id 0 is about the whole
    // connection, which the owner closes next (EOF follows).
    it->second->refused = h.type == static_cast<std::uint8_t>(Type::kError);
    it->second->payload = std::move(payload);
  }
  KillRing();
  absl::MutexLock lock(&mu_);
  dead_ = true;
}

}  // namespace cask::engine::ipc
