// A history of key-value operations as seen by clients: what each client
// asked, what it was told, and when (invocation and response times on one
// clock shared by every client, e.g. CLOCK_MONOTONIC across the processes of
// one machine). The checker (checker.h) decides whether such a history is
// linearizable with respect to the key-value model (model.h).
//
// Keys in a history are normalised keys (what the store reports back in
// conflicts). An operation whose outcome is unknown (kUnknown from the store,
// or a client that died before the response) has ret == kNever: it may have
// taken effect at any point after its call, or not at all.
//
// Thread safety: plain values and pure functions.
#ifndef CASK_TESTS_LINEARIZABILITY_HISTORY_H_
#define CASK_TESTS_LINEARIZABILITY_HISTORY_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/batch.h"
#include "cask/precondition.h"

namespace cask::lin {

// The response time of an operation whose outcome is unknown.
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

enum class OpKind {
  kGet,     // Get(key)
  kSet,     // Set(key, value, precondition): set, create-only, swap, ...
  kRemove,  // Remove(key, precondition)
  kCommit,  // Commit(batch)
};

enum class Outcome {
  kOk,        // applied (writes) / found (get)
  kNotFound,  // get of a missing key
  kMismatch,  // kAborted: a precondition did not hold, nothing written
  kUnknown,   // may or may not have taken effect; ret must be kNever
};

// One entry of a committed batch.
struct BatchEntry {
  BatchOpKind kind = BatchOpKind::kPut;
  std::string key;
  std::string value;  // kPut only
  Precondition precondition;
};

// A key named in a CAS mismatch and its etag at the time of the check
// (nullopt: the key did not exist), as reported by cask::Conflicts().
struct ObservedConflict {
  std::string key;
  std::optional<std::string> actual;
};

struct Operation {
  int client = 0;
  std::int64_t call = 0;  // invocation time
  std::int64_t ret = 0;   // response time; kNever when the outcome is unknown

  // Input.
  OpKind kind = OpKind::kGet;
  std::string key;                // kGet, kSet, kRemove
  std::string value;              // kSet
  Precondition precondition;      // kSet, kRemove
  std::vector<BatchEntry> batch;  // kCommit

  // Output.
  Outcome outcome = Outcome::kOk;
  std::string out_value;  // kGet + kOk
  std::string out_etag;   // kGet + kOk, kSet + kOk: the etag read / issued
  // kCommit + kOk: one per batch entry, the new etag of a put, "" otherwise.
  std::vector<std::string> out_etags;
  // kMismatch: what the store reported. conflicts_known is false when the
  // status carried no conflict payload (then nothing is checked about it).
  bool conflicts_known = false;
  std::vector<ObservedConflict> conflicts;

  // Every key the operation touches.
  std::vector<std::string> Keys() const;
};

using History = std::vector<Operation>;

// kInvalidArgument when `history` is malformed: a response before its call,
// kNever without kUnknown (or the reverse), an outcome that does not fit the
// kind, a commit with no entries, duplicate keys or a wrong number of etags,
// an acknowledged write without an etag.
absl::Status ValidateHistory(const History& history);

// One line of text (no '\n') holding `op`, and its inverse. Used to pass
// histories through pipes and files between processes.
std::string EncodeOperation(const Operation& op);
absl::StatusOr<Operation> DecodeOperation(std::string_view line);

// Writes / reads a whole history, one encoded operation per line.
absl::Status WriteHistoryFile(const std::string& path, const History& history);
absl::StatusOr<History> ReadHistoryFile(const std::string& path);

// Human-readable, e.g. `c2 [105,230] set(k0, "c2-7", if-match "3.ab") -> ok
// "5.ab"`, for failure reports.
std::string DescribeOperation(const Operation& op);

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_HISTORY_H_
