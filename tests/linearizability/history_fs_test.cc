// Recorded histories of the fs store from 4 processes: each forked client
// opens the same directory with cask::OpenStore("file://...") and sends its
// history (CLOCK_MONOTONIC times) to the parent, which checks the merged
// history.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "history_test_util.h"

namespace cask::lin {
namespace {

std::string MakeTempDir() {
  std::string pattern = KeepDir() + "/cask-lin-fs-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

TEST_CASE("fs store: histories recorded by 4 processes are linearizable") {
  const int histories = HistoriesToRun(12);
  RunStats stats;
  for (int i = 0; i < histories; ++i) {
    std::string dir = MakeTempDir();
    std::string uri = "file://" + dir;
    WorkloadOptions options;
    options.clients = 4;
    options.seed = static_cast<std::uint64_t>(i) + 1;
    {
      // The store exists before the clients race to open it.
      absl::StatusOr<std::unique_ptr<Driver>> store = OpenStore(uri);
      INFO(store.status().ToString());
      REQUIRE(store.ok());
      options.commits = (*store)->capabilities().atomic_batch;
    }
    RunResult run = RunProcesses([&uri] { return OpenStore(uri); }, options);
    stats.Add(run.history);
    RequireLinearizable(run, absl::StrCat("fs-", i));
    std::filesystem::remove_all(dir);
  }
  WARN("fs (4 processes): " << stats.ToString() << ", all linearizable");
}

// A client process killed with SIGKILL at a random moment: what it had
// acknowledged stays, a write it had in flight may or may not have landed
// (recorded as an unknown outcome), and the survivors' history must still
// be linearizable. With commits: a commit killed part-way is completed by
// whoever next touches its keys, or never happened.
TEST_CASE("fs store: histories stay linearizable when a client is killed") {
  const int histories = HistoriesToRun(8);
  RunStats stats;
  std::mt19937_64 rng(42);
  for (int i = 0; i < histories; ++i) {
    std::string dir = MakeTempDir();
    std::string uri = "file://" + dir;
    {
      absl::StatusOr<std::unique_ptr<Driver>> store = OpenStore(uri);
      INFO(store.status().ToString());
      REQUIRE(store.ok());
    }
    WorkloadOptions options;
    options.clients = 4;
    options.seed = static_cast<std::uint64_t>(i) + 5000;
    options.commits = true;
    options.kill_client_after_us = static_cast<int>(rng() % 20000);
    RunResult run = RunProcesses([&uri] { return OpenStore(uri); }, options);
    stats.Add(run.history);
    RequireLinearizable(run, absl::StrCat("fs-kill-", i));
    std::filesystem::remove_all(dir);
  }
  WARN("fs (4 processes, one killed): " << stats.ToString()
                                        << ", all linearizable");
}

}  // namespace
}  // namespace cask::lin
