// Records the operations one client makes through the normal cask::Driver
// API as a History: input, output and invocation / response times on
// CLOCK_MONOTONIC, which every process of one machine shares, so histories
// recorded by several processes can be merged and checked together.
//
// Status mapping (the contract's Errors): OK and kNotFound are outputs;
// kAborted is a mismatch with the conflicts it carries; kUnknown is an unknown
// outcome (response time kNever); kUnavailable means nothing was applied, so
// the operation is left out of the history. A failed read is left out too (it
// has no effect). Any other status is recorded as an unknown outcome (the
// conservative reading) and listed in unexpected(), which tests assert is
// empty for a healthy store.
//
// Thread safety: one Recorder per client thread; not synchronised.
#ifndef CASK_TESTS_LINEARIZABILITY_RECORDER_H_
#define CASK_TESTS_LINEARIZABILITY_RECORDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/driver.h"
#include "history.h"

namespace cask::lin {

// Nanoseconds on CLOCK_MONOTONIC.
std::int64_t MonotonicNanos();

// What a sink is told, in order, for each operation.
enum class RecordEvent {
  kCall,     // a write is about to be sent: outcome unknown so far
  kDone,     // an operation completed (for a write: replaces its kCall)
  kDropped,  // the write in flight was left out (kUnavailable)
};

class Recorder {
 public:
  // Receives every event as it happens, so that a client process killed
  // mid-write still leaves its write in the history, as an unknown outcome.
  using Sink = std::function<void(RecordEvent, const Operation&)>;

  Recorder(Driver& store, int client) : store_(store), client_(client) {}

  void set_sink(Sink sink) { sink_ = std::move(sink); }

  absl::StatusOr<Item> Get(const std::string& key);
  absl::StatusOr<std::string> Set(const std::string& key,
                                  const std::string& value,
                                  const Precondition& precondition);
  absl::Status Remove(const std::string& key, const Precondition& precondition);
  absl::StatusOr<CommitResult> Commit(const std::vector<BatchEntry>& entries);

  const History& history() const { return history_; }
  // Statuses the model has no place for, as text.
  const std::vector<std::string>& unexpected() const { return unexpected_; }

 private:
  // Stamps the call time of a write and tells the sink.
  void BeginWrite(Operation& op);
  // Fills op's outcome from a write's status and records it, unless it is
  // to be left out (kUnavailable).
  void FinishWrite(const absl::Status& status, Operation op);

  Driver& store_;
  int client_;
  Sink sink_;
  History history_;
  std::vector<std::string> unexpected_;
};

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_RECORDER_H_
