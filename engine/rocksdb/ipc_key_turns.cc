#include "ipc_key_turns.h"

#include <sched.h>

#include <algorithm>

#include "absl/time/clock.h"
#include "ipc.h"

namespace cask::engine::ipc {
namespace {

// 0: kDefaultTurn.
std::atomic<std::int64_t> turn_nanos{0};

// How often a waiter for Drain looks at the untracked writes (they leave
// without the lock, so nothing wakes it).
constexpr absl::Duration kDrainPoll = absl::Microseconds(20);

}  // namespace

absl::Duration TurnDuration() {
  const std::int64_t n = turn_nanos.load(std::memory_order_relaxed);
  return n > 0 ? absl::Nanoseconds(n) : kDefaultTurn;
}

void TEST_SetTurnDuration(absl::Duration turn) {
  turn_nanos.store(absl::ToInt64Nanoseconds(turn), std::memory_order_relaxed);
}

KeyTurns::Pass KeyTurns::Enter(const std::string& key, Process who) {
  Pass pass;
  // Paired with Enqueue's increment of queued_keys_ and Drain's look at
  // untracked_ (both sequentially consistent): either this write sees the
  // queue and takes the lock, or the queuer sees this write and waits for
  // it to leave.
  untracked_.fetch_add(1, std::memory_order_seq_cst);
  if (queued_keys_.load(std::memory_order_seq_cst) == 0) return pass;
  untracked_.fetch_sub(1, std::memory_order_seq_cst);
  pass.tracked = true;

  absl::MutexLock lock(&mu_);
  for (;;) {
    const absl::Time now = absl::Now();
    if (now >= next_expiry_scan_) ExpireAll(now);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.queue.empty() ||
        it->second.queue.front() == who) {
      break;
    }
    Entry& e = it->second;
    if (now >= e.head_deadline) {
      PopHead(e, now);  // expired: the turn passes on
      continue;
    }
    // Wait in line: a process that writes the key while others hold turns
    // on it gets a turn of its own, after theirs (the owner's threads too).
    Enqueue(e, who, now);
    AwaitPass(generation_.load(std::memory_order_relaxed), e.head_deadline);
  }
  ++entries_[key].active;
  return pass;
}

void KeyTurns::Leave(const std::string& key, Process who, const Pass& pass,
                     const absl::Status& status) {
  const bool aborted = status.code() == absl::StatusCode::kAborted;
  if (!pass.tracked) {
    untracked_.fetch_sub(1, std::memory_order_seq_cst);
    if (!aborted) return;
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  Entry& e = entries_[key];
  if (pass.tracked) --e.active;
  if (aborted) {
    Enqueue(e, who, now);
    AwaitTurn(key, who);
    Drain(key, absl::Now() + TurnDuration());
  } else if (status.ok() && !e.queue.empty() && e.queue.front() == who) {
    PopHead(e, now);  // the turn is used
    // Others still wait: the key stays contended, and `who` writes it
    // again only after them (it leaves the line when its turn expires
    // unused).
    if (!e.queue.empty()) Enqueue(e, who, now);
  }
  EraseIfIdle(key);
}

void KeyTurns::AwaitPass(std::uint64_t seen, absl::Time until) {
  const std::int64_t start = absl::GetCurrentTimeNanos();
  const std::int64_t spin_until =
      std::min(start + spin_.nanos(), absl::ToUnixNanos(until));
  mu_.Unlock();
  PollYielding(spin_until, [&] {
    return generation_.load(std::memory_order_acquire) != seen;
  });
  mu_.Lock();
  auto passed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return generation_.load(std::memory_order_relaxed) != seen;
  };
  mu_.AwaitWithDeadline(absl::Condition(&passed), until);
  if (passed()) spin_.Observe(absl::GetCurrentTimeNanos() - start);
}

void KeyTurns::AwaitRead(const std::string& key, Process who) {
  if (queued_keys_.load(std::memory_order_seq_cst) == 0) return;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() ||
      std::find(it->second.queue.begin(), it->second.queue.end(), who) ==
          it->second.queue.end()) {
    return;  // not in line: read at once
  }
  AwaitTurn(key, who);
  // Writes of others let go before the turn passed may still change the
  // key: read after them.
  Drain(key, absl::Now() + TurnDuration());
}

void KeyTurns::Forget(Process who) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  for (auto& [key, e] : entries_) {
    auto it = std::find(e.queue.begin(), e.queue.end(), who);
    if (it == e.queue.end()) continue;
    if (it == e.queue.begin()) {
      PopHead(e, now);
    } else {
      e.queue.erase(it);
    }
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void KeyTurns::AwaitTurn(const std::string& key, Process who) {
  for (;;) {
    const absl::Time now = absl::Now();
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.queue.empty() || e.queue.front() == who ||
        std::find(e.queue.begin(), e.queue.end(), who) == e.queue.end()) {
      return;
    }
    if (now >= e.head_deadline) {
      PopHead(e, now);  // expired: the turn passes on
      continue;
    }
    AwaitPass(generation_.load(std::memory_order_relaxed), e.head_deadline);
  }
}

void KeyTurns::PopHead(Entry& e, absl::Time now) {
  e.queue.pop_front();
  generation_.fetch_add(1, std::memory_order_release);
  if (e.queue.empty()) {
    queued_keys_.fetch_sub(1, std::memory_order_seq_cst);
  } else {
    e.head_deadline = now + TurnDuration();
  }
}

void KeyTurns::Enqueue(Entry& e, Process who, absl::Time now) {
  if (std::find(e.queue.begin(), e.queue.end(), who) != e.queue.end()) return;
  if (e.queue.empty()) {
    e.head_deadline = now + TurnDuration();
    queued_keys_.fetch_add(1, std::memory_order_seq_cst);
  }
  e.queue.push_back(who);
}

void KeyTurns::ExpireAll(absl::Time now) {
  for (auto& [key, e] : entries_) {
    while (!e.queue.empty() && now >= e.head_deadline) PopHead(e, now);
  }
  absl::erase_if(entries_, [](const auto& kv) {
    return kv.second.queue.empty() && kv.second.active == 0;
  });
  next_expiry_scan_ = now + TurnDuration();
}

void KeyTurns::Drain(const std::string& key, absl::Time until) {
  auto idle = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = entries_.find(key);
    return (it == entries_.end() || it->second.active == 0) &&
           untracked_.load(std::memory_order_seq_cst) == 0;
  };
  // A tracked write's Leave releases the lock, which re-evaluates `idle`;
  // untracked writes do not, hence the polling.
  while (!idle() && absl::Now() < until) {
    mu_.AwaitWithTimeout(absl::Condition(&idle), kDrainPoll);
  }
}

void KeyTurns::EraseIfIdle(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.queue.empty() &&
      it->second.active == 0) {
    entries_.erase(it);
  }
}

}  // namespace cask::engine::ipc
