#include "ipc_ring_server.h"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace cask::engine::ipc {
namespace {

// The longest sleep between looks at the stop flag (Stop also rings).
constexpr absl::Duration kSleep = absl::Seconds(1);

void Answer(Ring& ring, std::uint32_t i, std::uint32_t type,
            std::string_view body) {
  if (body.size() > kRingSlotBytes) {
    type = kRingTooBig;  // the client asks again on the socket
    body = {};
  }
  SlotHead& s = ring.slot(i);
  std::memcpy(ring.data(i), body.data(), body.size());
  s.type.store(type, std::memory_order_relaxed);
  s.length.store(static_cast<std::uint32_t>(body.size()),
                 std::memory_order_relaxed);
  s.state.store(kSlotAnswered, std::memory_order_seq_cst);
  if (s.client_asleep.load(std::memory_order_seq_cst) != 0) {
    FutexWake(&s.state, 1);
  }
}

}  // namespace

RingServer::RingServer(std::shared_ptr<Ring> ring, Service* service,
                       std::shared_ptr<PinnedSnapshots::Session> session,
                       Dispatch dispatch)
    : ring_(std::move(ring)),
      service_(service),
      session_(std::move(session)),
      dispatch_(std::move(dispatch)) {
  thread_ = std::thread([this] { Loop(); });
}

RingServer::~RingServer() {
  stop_.store(true);
  // Changing the doorbell makes a sleeping (or about to sleep) loop return.
  ring_->head().doorbell.fetch_add(1);
  FutexWake(&ring_->head().doorbell, 1);
  thread_.join();
}

void RingServer::Run(Ring& ring, Service& service,
                     PinnedSnapshots::Session& session, std::uint32_t slot,
                     const absl::Status& checked, SlotFields fields,
                     const std::string& payload) {
  if (!checked.ok()) {
    Writer w;
    w.StatusOf(checked);
    Answer(ring, slot, static_cast<std::uint32_t>(Type::kError), w.out());
    return;
  }
  absl::StatusOr<std::string> out =
      service.Handle(static_cast<Type>(fields.type), payload, session);
  if (out.ok()) {
    Answer(ring, slot, static_cast<std::uint32_t>(Type::kResponse), *out);
  } else {
    // Malformed: refused alone, as on the socket.
    Writer w;
    w.StatusOf(out.status());
    Answer(ring, slot, static_cast<std::uint32_t>(Type::kError), w.out());
  }
}

void RingServer::Loop() {
  Ring& ring = *ring_;
  RingHead& head = ring.head();
  std::vector<std::pair<std::uint64_t, std::uint32_t>> ready;
  // When the thread last found nothing to do (0: it was busy): a client's
  // next call often follows its answer within microseconds, so the thread
  // polls for as long as the gaps between calls took lately (ipc_spin.h).
  std::int64_t idle_since = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    // Read before the scan: a request published after the scan rings a
    // bell that differs from this value.
    const std::uint32_t bell = head.doorbell.load(std::memory_order_seq_cst);
    ready.clear();
    for (std::uint32_t i = 0; i < kRingSlots; ++i) {
      SlotHead& s = ring.slot(i);
      if (s.state.load(std::memory_order_acquire) == kSlotRequest) {
        ready.emplace_back(s.ticket.load(std::memory_order_relaxed), i);
      }
    }
    if (!ready.empty()) {
      if (idle_since != 0) {
        spin_.Observe(absl::GetCurrentTimeNanos() - idle_since);
        idle_since = 0;
      }
      std::sort(ready.begin(), ready.end());
      for (std::size_t k = 0; k < ready.size(); ++k) {
        const std::uint32_t i = ready[k].second;
        SlotHead& s = ring.slot(i);
        std::uint32_t expected = kSlotRequest;
        if (!s.state.compare_exchange_strong(expected, kSlotRunning)) continue;
        SlotFields f;
        std::string payload;
        absl::Status checked = ReadRingRequest(ring, i, &f, &payload);
        if (k + 1 < ready.size()) {
          dispatch_([ring = ring_, service = service_, session = session_, i,
                     checked, f, payload = std::move(payload)] {
            Run(*ring, *service, *session, i, checked, f, payload);
          });
        } else {
          Run(ring, *service_, *session_, i, checked, f, payload);
        }
      }
      continue;
    }
    // Idle: poll the doorbell for a while, then sleep on it.
    const std::int64_t now = absl::GetCurrentTimeNanos();
    if (idle_since == 0) idle_since = now;
    if (PollYielding(now + spin_.nanos(), [&] {
          return head.doorbell.load(std::memory_order_acquire) != bell;
        })) {
      continue;
    }
    head.owner_asleep.store(1, std::memory_order_seq_cst);
    if (head.doorbell.load(std::memory_order_seq_cst) == bell &&
        !stop_.load()) {
      FutexWait(&head.doorbell, bell, kSleep);
    }
    head.owner_asleep.store(0, std::memory_order_relaxed);
  }
}

}  // namespace cask::engine::ipc
