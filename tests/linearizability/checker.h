// A linearizability checker for cask histories, in the way Porcupine does
// it: the Wing-Gong search as improved by Lowe ("Testing for
// Linearizability"), with memoisation of (set of linearized operations,
// model state) and P-compositionality (Horn and Kroening): the history is
// split into independent partitions that are checked one by one.
//
// Partitions: operations on different keys commute in the key-value model,
// so every key could be checked alone, except that a Commit touches several
// keys at once. A partition is therefore a connected component of the graph
// whose nodes are keys and whose edges join the keys of one commit.
//
// Search (per partition): calls and returns sorted by time (a call before a
// return at the same instant, so they count as concurrent) form a doubly
// linked list. The search repeatedly takes the first pending call whose
// operation the model can apply from the current state, "lifts" the call and
// its return out of the list and pushes it on a stack; reaching a return
// means the operation it ends was not linearized in time, so it pops and
// tries the next candidate. A (bitset of linearized operations, state) pair
// already explored is never explored again. An operation with an unknown
// outcome returns at kNever, so it may be linearized anywhere after its call
// or, equivalently, never.
//
// The search is exponential in the worst case, so it is bounded: when the
// step budget or the time limit runs out the verdict is kUnknown, never a
// silent pass.
//
// Thread safety: CheckHistory is reentrant.
#ifndef CASK_TESTS_LINEARIZABILITY_CHECKER_H_
#define CASK_TESTS_LINEARIZABILITY_CHECKER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "history.h"

namespace cask::lin {

enum class Verdict {
  kLinearizable,
  kIllegal,  // no linearization exists (or an etag was reused)
  kUnknown,  // the budget ran out before the search finished
};

struct CheckOptions {
  // Search steps (candidate operations tried) over the whole history;
  // 0 means no limit.
  std::uint64_t max_steps = 20'000'000;
  // Wall-clock limit for the whole history; absl::InfiniteDuration() for
  // none.
  absl::Duration timeout = absl::Seconds(30);
  // The store never issues the same etag twice for a key ("no ABA", the
  // contract's Metadata and etags): two acknowledged writes of a key returning
  // one etag is a violation. Turn off for content-hash etags.
  bool etags_unique = true;
};

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  // For kIllegal: the partition's keys, its operations, the longest
  // linearizable prefix found and the model state after it. For kUnknown:
  // which budget ran out.
  std::string explanation;
  std::size_t partitions = 0;
  std::uint64_t steps = 0;
};

// kInvalidArgument for a malformed history (ValidateHistory); otherwise
// the verdict.
absl::StatusOr<CheckResult> CheckHistory(const History& history,
                                         const CheckOptions& options = {});

std::string_view VerdictName(Verdict verdict);

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_CHECKER_H_
