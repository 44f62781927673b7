// Random client workloads that record histories through the normal API:
// several clients (threads, or forked processes each opening the store
// itself) doing gets, sets, create-only writes, swaps on an etag they saw,
// if-none-match writes, conditional and plain removes and (where the store
// has atomic batches) commits over a few hot keys. Every write puts a value
// no other write uses ("c<client>-<n>"), so a read identifies its write.
//
// Thread safety: RunThreads / RunProcesses are reentrant; RunProcesses
// forks, so call it from a single-threaded process.
#ifndef CASK_TESTS_LINEARIZABILITY_WORKLOAD_H_
#define CASK_TESTS_LINEARIZABILITY_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/driver.h"
#include "history.h"
#include "recorder.h"

namespace cask::lin {

struct WorkloadOptions {
  int clients = 4;
  int ops_per_client = 30;
  int keys = 3;
  // Include commits (only where the store declares atomic_batch).
  bool commits = true;
  std::uint64_t seed = 1;
  // RunProcesses only: when >= 0, client 0 is killed with SIGKILL this many
  // microseconds after the clients start. Its operations so far stay in the
  // history; a write it had in flight is an unknown outcome.
  int kill_client_after_us = -1;
};

struct RunResult {
  History history;
  // Unexpected statuses and client failures, as text; empty when healthy.
  std::vector<std::string> errors;
};

// Runs one client's operations through `recorder`.
void RunClient(Recorder& recorder, int client, const WorkloadOptions& options);

// One thread per client; client i uses *stores[i % stores.size()].
RunResult RunThreads(const std::vector<Driver*>& stores,
                     const WorkloadOptions& options);

// One forked process per client; each calls `open` (after the fork) and
// streams its history to the parent through a pipe, a line per event, so
// that a client that dies mid-write leaves that write as an unknown outcome.
RunResult RunProcesses(
    const std::function<absl::StatusOr<std::unique_ptr<Driver>>()>& open,
    const WorkloadOptions& options);

// The number of histories a test should run: CASK_LIN_HISTORIES when set to
// a positive number, else `default_count`.
int HistoriesToRun(int default_count);

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_WORKLOAD_H_
