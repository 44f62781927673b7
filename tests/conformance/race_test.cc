// The race block: concurrent read-modify-write increments on one key, and
// concurrent create-only on one key, across threads and (where the store
// is shared between processes) across forked processes.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "util.h"

namespace cask::conformance {
namespace {

constexpr int kThreads = 8;
constexpr int kProcesses = 4;

struct IncrementOutcome {
  std::int64_t acknowledged = 0;
  std::int64_t mismatches = 0;
  std::string error;  // first unexpected status, if any
};

// Increments the counter under `key` `n` times with CAS, retrying each
// increment on mismatch until it is acknowledged.
IncrementOutcome Increment(Driver& store, const std::string& key, int n) {
  IncrementOutcome out;
  for (int i = 0; i < n; ++i) {
    while (true) {
      absl::StatusOr<Item> item = store.Get(key);
      if (!item.ok()) {
        out.error = item.status().ToString();
        return out;
      }
      std::int64_t value = 0;
      if (!absl::SimpleAtoi(item->value, &value)) {
        out.error = "counter is not a number: " + item->value;
        return out;
      }
      WriteOptions swap;
      swap.precondition = Precondition::IfMatch(item->meta.etag);
      absl::StatusOr<std::string> r =
          store.Set(key, absl::StrCat(value + 1), swap);
      if (r.ok()) {
        ++out.acknowledged;
        break;
      }
      if (!IsCasMismatch(r.status())) {
        out.error = r.status().ToString();
        return out;
      }
      ++out.mismatches;
    }
  }
  return out;
}

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

// Runs `body` in `n` forked children; each writes one int64 to the pipe.
// Returns the values, or fails the test if a child failed.
std::vector<std::int64_t> ForkChildren(
    int n, const std::function<std::int64_t(int)>& body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      std::int64_t result = body(i);
      ssize_t w = write(fds[1], &result, sizeof result);
      _exit(w == sizeof result && result >= 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  close(fds[1]);
  std::vector<std::int64_t> results;
  std::int64_t value;
  while (read(fds[0], &value, sizeof value) == sizeof value) {
    results.push_back(value);
  }
  close(fds[0]);
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  REQUIRE(results.size() == static_cast<std::size_t>(n));
  return results;
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
