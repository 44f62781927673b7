// The race block: concurrent read-modify-write increments on one key, and
// concurrent create-only on one key, across threads and (where the store
// is shared between processes) across forked processes.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "race_util.h"
#include "util.h"

namespace cask::conformance {
namespace {

constexpr int kThreads = 8;
constexpr int kProcesses = 4;

std::int64_t ReadCounter(Driver& store, const std::string& key) {
  std::int64_t value = -1;
  REQUIRE(absl::SimpleAtoi(MustGet(store, key), &value));
  return value;
}

bool CasOrNote(Driver& store) {
  if (store.capabilities().cas) return true;
  NoteSkippedBlock("race", "store declares no CAS");
  return false;
}

// One client per thread where the store can open more; else shared.
std::vector<std::unique_ptr<Driver>> ClientsFor(int n) {
  std::vector<std::unique_ptr<Driver>> clients;
  for (int i = 0; i < n; ++i) {
    std::unique_ptr<Driver> c = OpenAgain();
    if (c == nullptr) break;
    clients.push_back(std::move(c));
  }
  return clients;
}

TEST_CASE("race: 8 threads increment one key; count = acknowledged swaps",
          "[race]") {
  auto store = MakeStore();
  if (!CasOrNote(*store)) return;
  const int per_thread = 50 / CurrentTarget().race_scale;
  MustSet(*store, "counter", "0");
  std::vector<std::unique_ptr<Driver>> clients = ClientsFor(kThreads);
  std::vector<IncrementOutcome> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Driver* client = clients.empty() ? store.get() : clients[t].get();
    threads.emplace_back([&, t, client] {
      outcomes[t] = Increment(*client, "counter", per_thread);
    });
  }
  for (std::thread& t : threads) t.join();
  std::int64_t acknowledged = 0, mismatches = 0;
  for (const IncrementOutcome& o : outcomes) {
    INFO(o.error);
    REQUIRE(o.error.empty());
    acknowledged += o.acknowledged;
    mismatches += o.mismatches;
  }
  INFO("mismatches retried: " << mismatches);
  REQUIRE(acknowledged == kThreads * per_thread);
  REQUIRE(ReadCounter(*store, "counter") == acknowledged);
}

TEST_CASE("race: 8 threads create-only one key; exactly one wins", "[race]") {
  auto store = MakeStore();
  if (!CasOrNote(*store)) return;
  std::vector<std::unique_ptr<Driver>> clients = ClientsFor(kThreads);
  for (int round = 0; round < 5; ++round) {
    const std::string key = absl::StrCat("lock:", round);
    std::atomic<int> winners{0}, losers{0}, errors{0};
    std::atomic<int> winner_id{-1};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      Driver* client = clients.empty() ? store.get() : clients[t].get();
      threads.emplace_back([&, t, client] {
        WriteOptions create;
        create.precondition = Precondition::CreateOnly();
        absl::StatusOr<std::string> r =
            client->Set(key, absl::StrCat("owner-", t), create);
        if (r.ok()) {
          ++winners;
          winner_id = t;
        } else if (IsCasMismatch(r.status())) {
          ++losers;
        } else {
          ++errors;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    REQUIRE(errors == 0);
    REQUIRE(winners == 1);
    REQUIRE(losers == kThreads - 1);
    REQUIRE(MustGet(*store, key) == absl::StrCat("owner-", winner_id.load()));
  }
}

TEST_CASE("race: 4 processes increment one key; count = acknowledged swaps",
          "[race][process]") {
  auto store = MakeStore();
  if (!CasOrNote(*store)) return;
  if (!CurrentTarget().multi_process) {
    NoteSkippedBlock("process race", "store is not shared between processes");
    return;
  }
  const int per_process = 50 / CurrentTarget().race_scale;
  MustSet(*store, "counter", "0");
  std::vector<std::int64_t> acks = ForkChildren(kProcesses, [&](int) {
    absl::StatusOr<std::unique_ptr<Driver>> client =
        CurrentTarget().open_again();
    if (!client.ok()) return std::int64_t{-1};
    IncrementOutcome o = Increment(**client, "counter", per_process);
    if (!o.error.empty()) {
      std::fprintf(stderr, "child error: %s\n", o.error.c_str());
      return std::int64_t{-1};
    }
    return o.acknowledged;
  });
  std::int64_t acknowledged = 0;
  for (std::int64_t a : acks) acknowledged += a;
  REQUIRE(acknowledged == kProcesses * per_process);
  REQUIRE(ReadCounter(*store, "counter") == acknowledged);
}

TEST_CASE("race: 4 processes create-only one key; exactly one wins",
          "[race][process]") {
  auto store = MakeStore();
  if (!CasOrNote(*store)) return;
  if (!CurrentTarget().multi_process) {
    NoteSkippedBlock("process race", "store is not shared between processes");
    return;
  }
  std::vector<std::int64_t> wins = ForkChildren(kProcesses, [&](int i) {
    absl::StatusOr<std::unique_ptr<Driver>> client =
        CurrentTarget().open_again();
    if (!client.ok()) return std::int64_t{-1};
    WriteOptions create;
    create.precondition = Precondition::CreateOnly();
    absl::StatusOr<std::string> r =
        (*client)->Set("lock", absl::StrCat("owner-", i), create);
    if (r.ok()) return std::int64_t{1};
    return IsCasMismatch(r.status()) ? std::int64_t{0} : std::int64_t{-1};
  });
  std::int64_t winners = 0;
  for (std::int64_t w : wins) winners += w;
  REQUIRE(winners == 1);
}

}  // namespace
}  // namespace cask::conformance
