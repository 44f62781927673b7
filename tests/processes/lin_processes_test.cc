// Linearizability of the engine shared by processes, with the owner
// killed: 4 forked client processes (takeover off, so they only forward)
// run the random workload of tests/linearizability on 3 hot keys through
// Engine::Open of one directory; the store is owned by separate processes
// (SpawnOwner), and a killer process SIGKILLs the current owner several
// times per history, a standby taking over each time. Every history must
// be linearizable: no acknowledged write lost, no retry applied twice, no
// false mismatch.
//
// CASK_LIN_HISTORIES replaces the default count (50).
#define CATCH_CONFIG_RUNNER
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "history_test_util.h"
#include "ipc.h"
#include "proc_util.h"

namespace cask::lin {
namespace {

constexpr int kKillsPerHistory = 3;

// Forks a process that kills the owner of `dir` `kills` times, a random
// 2-12 ms after each new owner appears; it exits with the number of kills.
pid_t StartKiller(const std::string& dir, int kills, std::uint64_t seed) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  std::mt19937_64 rng(seed);
  int done = 0;
  pid_t last = -1;
  for (int i = 0; i < kills; ++i) {
    pid_t owner = processes::WaitForOwner(dir, last);
    if (owner < 0) break;
    absl::SleepFor(absl::Microseconds(2000 + rng() % 10000));
    if (kill(owner, SIGKILL) == 0) ++done;
    last = owner;
  }
  _exit(done);
}

TEST_CASE("engine from 4 processes, owner killed: histories linearizable") {
  const int histories = HistoriesToRun(50);
  RunStats stats;
  int total_kills = 0;
  for (int i = 0; i < histories; ++i) {
    std::string dir = processes::MakeTempDir("lin-proc");
    REQUIRE(!dir.empty());
    std::vector<pid_t> owners;
    for (int k = 0; k <= kKillsPerHistory; ++k) {
      pid_t pid = processes::SpawnOwner(dir);
      REQUIRE(pid > 0);
      owners.push_back(pid);
    }
    WorkloadOptions options;
    options.clients = 4;
    options.ops_per_client = 60;
    options.seed = static_cast<std::uint64_t>(i) + 9000;
    pid_t killer = StartKiller(dir, kKillsPerHistory, options.seed);
    REQUIRE(killer > 0);
    RunResult run = RunProcesses(
        [&dir]() -> absl::StatusOr<std::unique_ptr<Driver>> {
          engine::ipc::SetTakeoverAllowed(false);
          absl::StatusOr<std::unique_ptr<Engine>> e =
              Engine::Open(dir, processes::TestOptions());
          if (!e.ok()) return e.status();
          return std::unique_ptr<Driver>(*std::move(e));
        },
        options);
    kill(killer, SIGKILL);
    int status = 0;
    waitpid(killer, &status, 0);
    if (WIFEXITED(status)) total_kills += WEXITSTATUS(status);
    for (pid_t pid : owners) processes::KillAndReap(pid);
    stats.Add(run.history);
    RequireLinearizable(run, absl::StrCat("processes-", i));
    std::filesystem::remove_all(dir);
  }
  WARN("engine (4 client processes, owner killed "
       << total_kills << " times in all): " << stats.ToString()
       << ", all linearizable");
  // The kills must really have happened during the runs.
  CHECK(total_kills >= histories);
}

}  // namespace
}  // namespace cask::lin

int main(int argc, char** argv) {
  cask::processes::MaybeRunOwner(argc, argv);
  return Catch::Session().run(argc, argv);
}
