#include "ipc_outcomes.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "absl/time/clock.h"
#include "encoding.h"
#include "ipc.h"

namespace cask::engine::ipc {
namespace {

std::atomic<std::int64_t> g_retention_us{
    absl::ToInt64Microseconds(absl::Hours(1))};

// A goodbye of a client with at most this many sequences deletes them one
// by one; more take one range tombstone (cheap to write, but each stays in
// RocksDB until compaction and slows reads of the sys column family).
constexpr std::uint64_t kPointDeletesUpTo = 64;

}  // namespace

absl::Duration OutcomeRetention() {
  return absl::Microseconds(g_retention_us.load());
}

void TEST_SetOutcomeRetention(absl::Duration age) {
  g_retention_us.store(absl::ToInt64Microseconds(age));
}

OutcomeKeeper::OutcomeKeeper(EngineImpl* engine) : engine_(engine) {
  thread_ = std::thread([this] { AgeLoop(); });
}

OutcomeKeeper::~OutcomeKeeper() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

std::string OutcomeKeeper::Key(std::uint64_t client, std::uint64_t seq) {
  std::string key = kOutcomePrefix;
  PutFixed64(&key, client);
  PutFixed64(&key, seq);
  return key;
}

absl::StatusOr<std::optional<CommitResult>> OutcomeKeeper::Lookup(
    const std::string& key) {
  return engine_->ReadOutcome(key);
}

void OutcomeKeeper::Settled(std::uint64_t client, std::uint64_t seq,
                            std::uint64_t settled_below) {
  if (seq == 0 || seq % kPruneEvery != 0 || settled_below <= 1) return;
  // Best effort: a failure only leaves records for the age limit.
  (void)engine_->DropOutcomes(Key(client, 0), Key(client, settled_below));
}

absl::Status OutcomeKeeper::Goodbye(std::uint64_t client, std::uint64_t end) {
  if (end <= 1) return absl::OkStatus();
  if (end - 1 > kPointDeletesUpTo) {
    return engine_->DropOutcomes(Key(client, 0), Key(client, end));
  }
  std::vector<std::string> keys;
  for (std::uint64_t seq = 1; seq < end; ++seq) {
    keys.push_back(Key(client, seq));
  }
  return engine_->DropOutcomeKeys(keys);
}

absl::StatusOr<std::uint64_t> OutcomeKeeper::Count() {
  return engine_->CountOutcomes(kOutcomePrefix);
}

void OutcomeKeeper::AgeLoop() {
  for (;;) {
    const absl::Duration retention = OutcomeRetention();
    // Scan often enough that nothing stays much past the retention.
    const absl::Duration every =
        std::clamp(retention / 4, absl::Milliseconds(10), absl::Minutes(5));
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_), every)) return;
    }
    // Best effort: a failure is retried on the next round.
    (void)engine_->DropOutcomesBefore(kOutcomePrefix, absl::Now() - retention);
  }
}

}  // namespace cask::engine::ipc
