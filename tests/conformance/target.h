// The conformance suite: one set of Catch2 test cases, written once, run
// against every store. Each store's test program (e.g. memory_main.cc)
// describes its store with a Target and calls RunConformance.
#ifndef CASK_TESTS_CONFORMANCE_TARGET_H_
#define CASK_TESTS_CONFORMANCE_TARGET_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask::conformance {

// ctest's SKIP_RETURN_CODE for a suite whose backend is missing: reported
// as skipped, never as passed.
inline constexpr int kSkipExitCode = 77;

using DriverFactory = std::function<absl::StatusOr<std::unique_ptr<Driver>>()>;

struct Target {
  std::string name;
  // Makes a fresh, empty store and returns a client of it. Called once per
  // test case.
  DriverFactory make_empty;
  // Opens another client of the store most recently made by make_empty
  // (a new connection, the same directory...). Empty when the store lives
  // inside one client object: the race tests then share that client.
  DriverFactory open_again;
  // open_again also works in a forked child: run the process races.
  bool multi_process = false;
  // How precisely the store expires items (etcd leases count in seconds).
  absl::Duration ttl_granularity = absl::Milliseconds(100);
  // The store's etag is a hash of the content (S3): the same content
  // written again gets the same etag, so the no-reuse checks assert that
  // documented behaviour instead.
  bool content_hash_etags = false;
  // A Catch2 test spec limiting the suite, "" for all of it. Only for a
  // store that keeps nothing (null), whose reads cannot show writes.
  std::string only_tags;
  // Scales the race tests' operation counts for slow backends (1 = full).
  int race_scale = 1;
};

// Runs every conformance test case against `target`; returns the exit code
// for main().
int RunConformance(int argc, char** argv, Target target);

// Reports loudly that the suite for `name` cannot run and why; returns
// kSkipExitCode for main().
int SkipConformance(std::string_view name, std::string_view reason);

// The target under test (valid while RunConformance runs).
const Target& CurrentTarget();

}  // namespace cask::conformance

#endif  // CASK_TESTS_CONFORMANCE_TARGET_H_
