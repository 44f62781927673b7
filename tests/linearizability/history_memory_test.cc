// Recorded histories of the memory store (4 client threads on 3 hot keys),
// and the proof that the test can fail: wrappers that break atomicity on
// purpose must be caught within a bounded number of histories.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "faulty_driver.h"
#include "history_test_util.h"
#include "memory_store.h"

namespace cask::lin {
namespace {

std::unique_ptr<Driver> NewMemoryStore() {
  absl::StatusOr<std::unique_ptr<Driver>> store = CreateMemoryStore();
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE("memory store: recorded histories are linearizable") {
  const int histories = HistoriesToRun(50);
  RunStats stats;
  for (int i = 0; i < histories; ++i) {
    std::unique_ptr<Driver> store = NewMemoryStore();
    WorkloadOptions options;
    options.seed = static_cast<std::uint64_t>(i) + 1;
    options.commits = store->capabilities().atomic_batch;
    RunResult run = RunThreads({store.get()}, options);
    stats.Add(run.history);
    RequireLinearizable(run, absl::StrCat("memory-", i));
  }
  WARN("memory: " << stats.ToString() << ", all linearizable");
}

// Runs up to `attempts` histories through a faulty wrapper and returns how
// many the checker found illegal (stopping at the first).
int CaughtWithin(Fault fault, int attempts, const std::string& label) {
  for (int i = 0; i < attempts; ++i) {
    std::unique_ptr<Driver> inner = NewMemoryStore();
    std::unique_ptr<Driver> faulty =
        TEST_WrapWithFault(*inner, fault, static_cast<std::uint64_t>(i) + 7);
    WorkloadOptions options;
    options.seed = static_cast<std::uint64_t>(i) + 1000;
    options.commits = false;
    RunResult run = RunThreads({faulty.get()}, options);
    CheckResult r = CheckRun(run, absl::StrCat(label, "-", i), /*keep=*/false);
    if (r.verdict == Verdict::kIllegal) {
      WARN(label << ": caught in history " << i + 1 << " of at most "
                 << attempts << "\n"
                 << FirstLines(r.explanation, 12));
      return 1;
    }
  }
  return 0;
}

TEST_CASE("fault injection: check-then-act preconditions are caught") {
  REQUIRE(CaughtWithin(Fault::kRacyPreconditions, 30, "racy") == 1);
}

TEST_CASE("fault injection: stale reads are caught") {
  REQUIRE(CaughtWithin(Fault::kStaleReads, 30, "stale") == 1);
}

}  // namespace
}  // namespace cask::lin
