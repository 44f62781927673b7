// Test-only wrappers that deliberately break a store's guarantees, to prove
// that the history tests can fail (a checker that never says "illegal" is
// worth nothing). Each wraps another Driver and forwards to its public API.
//
//   kRacyPreconditions  Set / Remove with a precondition read the etag,
//                       check it with the shared evaluator, pause, then
//                       write unconditionally: check-then-act without a
//                       lock, so concurrent swaps can both win (lost update).
//   kStaleReads         Get sometimes answers with an item this wrapper read
//                       earlier for the key instead of asking the store.
//
// Thread safety: thread-safe (the stale-read cache has a mutex).
#ifndef CASK_TESTS_LINEARIZABILITY_FAULTY_DRIVER_H_
#define CASK_TESTS_LINEARIZABILITY_FAULTY_DRIVER_H_

#include <cstdint>
#include <memory>

#include "cask/driver.h"

namespace cask::lin {

enum class Fault { kRacyPreconditions, kStaleReads };

// `inner` must outlive the wrapper.
std::unique_ptr<Driver> TEST_WrapWithFault(Driver& inner, Fault fault,
                                           std::uint64_t seed);

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_FAULTY_DRIVER_H_
