#include "ipc_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "ipc_socket.h"

namespace cask::engine::ipc {

Connection::Connection(int fd) : fd_(fd) {
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
  absl::MutexLock lock(&mu_);
  dead_ = true;
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
  absl::MutexLock lock(&mu_);
  dead_ = true;
}

}  // namespace cask::engine::ipc
