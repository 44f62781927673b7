// Helpers of the multi-process tests and benchmarks: owner processes
// started with fork + exec of the test program itself, so that they share
// nothing with the test process (no inherited sockets or threads).
//
// A program using them calls MaybeRunOwner(argc, argv) first thing in
// main(): in an owner process it never returns.
#ifndef CASK_TESTS_PROCESSES_PROC_UTIL_H_
#define CASK_TESTS_PROCESSES_PROC_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "cask/engine.h"

namespace cask::processes {

// Runs an owner process when argv asks for it (never returns then).
void MaybeRunOwner(int argc, char** argv);

// Starts a process that opens the store at `dir` with Engine::Open (the
// owner if nobody serves it yet, else a standby client that takes over when
// the owner dies) and waits to be killed. Returns once its Open returned.
pid_t SpawnOwner(const std::string& dir, bool buffered = true);

// SIGKILLs and reaps `pid`.
void KillAndReap(pid_t pid);

// Waits until a process serves `dir`; its pid, or -1 after 30 s.
pid_t WaitForOwner(const std::string& dir, pid_t not_this = -1);

// A fresh directory under $TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& tag);

// The options the tests open clients with.
EngineOptions TestOptions(bool buffered = true);

}  // namespace cask::processes

#endif  // CASK_TESTS_PROCESSES_PROC_UTIL_H_
