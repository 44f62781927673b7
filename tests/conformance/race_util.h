// Race helpers shared by the conformance suite's race block and the
// multi-process tests (tests/processes): CAS increments of a counter and
// forked child processes that report one number each.
#ifndef CASK_TESTS_CONFORMANCE_RACE_UTIL_H_
#define CASK_TESTS_CONFORMANCE_RACE_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cask/driver.h"

namespace cask::conformance {

struct IncrementOutcome {
  std::int64_t acknowledged = 0;
  std::int64_t mismatches = 0;
  std::string error;  // first unexpected status, if any
};

// Increments the decimal counter under `key` `n` times with CAS (get, then
// set if-match the etag read), retrying each increment on mismatch until it
// is acknowledged. Stops at the first other status, kUnknown included.
IncrementOutcome Increment(Driver& store, const std::string& key, int n);

// Runs `body(i)` in `n` forked children; each child returns one int64 to
// the parent through a pipe and exits 0 (1 if the write failed or the
// number is negative, the convention for "failed"). The
// parent runs `meanwhile` (if given) while the children work, then fails
// the test unless every child exited 0 and reported.
std::vector<std::int64_t> ForkChildren(
    int n, const std::function<std::int64_t(int)>& body,
    const std::function<void()>& meanwhile = {});

}  // namespace cask::conformance

#endif  // CASK_TESTS_CONFORMANCE_RACE_UTIL_H_
