// Helpers of the multi-process tests and benchmarks: owner processes
// started with fork + exec of the test program itself, so that they share
// nothing with the test process (no inherited sockets or threads).
//
// A program using them calls MaybeRunOwner(argc, argv) first thing in
// main(): in an owner process it never returns.
#ifndef CASK_TESTS_PROCESSES_PROC_UTIL_H_
#define CASK_TESTS_PROCESSES_PROC_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cask/engine.h"

namespace cask::processes {

// Runs an owner process when argv asks for it (never returns then).
void MaybeRunOwner(int argc, char** argv);

// Starts a process that opens the store at `dir` with Engine::Open (the
// owner if nobody serves it yet, else a standby client that takes over when
// the owner dies) and waits to be killed. Returns once its Open returned.
pid_t SpawnOwner(const std::string& dir, bool buffered = true);

// Sends SIGSTOP to `pid` and waits until every thread of it is stopped
// (the signal is asynchronous: a running thread may still answer a call
// right after kill returns). False if that does not happen within 10 s.
bool StopProcess(pid_t pid);

// SIGKILLs and reaps `pid`.
void KillAndReap(pid_t pid);

// Waits until a process serves `dir`; its pid, or -1 after 30 s.
pid_t WaitForOwner(const std::string& dir, pid_t not_this = -1);

// A fresh directory under $TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& tag);

// The options the tests open clients with.
EngineOptions TestOptions(bool buffered = true);

// What an owner process reports about itself (SIGUSR1; see OwnerReport).
struct OwnerStats {
  bool ok = false;                    // false: no report within 30 s
  std::uint64_t synced_writes = 0;    // groups fsynced for durability
  std::uint64_t outcome_records = 0;  // exactly-once records in the store
  // Snapshots pinned for client processes (after dropping dead clients').
  std::uint64_t pinned_snapshots = 0;
};
// Asks the owner process `pid` of `dir` (a SpawnOwner process) for its
// OwnerStats.
OwnerStats OwnerReport(const std::string& dir, pid_t pid);

// Runs `body` in a forked child and waits for it at most `limit`: the
// child's exit code (body's return value), or -1 when it had to be killed
// because it did not finish in time (a hang).
int RunInChild(const std::function<int()>& body, absl::Duration limit);

}  // namespace cask::processes

#endif  // CASK_TESTS_PROCESSES_PROC_UTIL_H_
