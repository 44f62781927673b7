// Shared by the history-recording tests: check one recorded history and, if
// it is not linearizable, keep it in a file for a post-mortem.
#ifndef CASK_TESTS_LINEARIZABILITY_HISTORY_TEST_UTIL_H_
#define CASK_TESTS_LINEARIZABILITY_HISTORY_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catch2/catch.hpp"
#include "checker.h"
#include "workload.h"

namespace cask::lin {

// The directory kept histories go to: CASK_LIN_KEEP_DIR, else $TMPDIR or
// /tmp.
inline std::string KeepDir() {
  for (const char* var : {"CASK_LIN_KEEP_DIR", "TMPDIR"}) {
    const char* dir = std::getenv(var);
    if (dir != nullptr && *dir != '\0') return dir;
  }
  return "/tmp";
}

// Checks `run` (after asserting its clients met no unexpected status) and
// returns the verdict; with `keep`, a non-linearizable history is written
// to <KeepDir>/cask-lin-<label>.history and its path reported.
inline CheckResult CheckRun(const RunResult& run, const std::string& label,
                            bool keep = true) {
  INFO(label << ": client errors: " << absl::StrJoin(run.errors, "; "));
  REQUIRE(run.errors.empty());
  REQUIRE(!run.history.empty());
  absl::StatusOr<CheckResult> result = CheckHistory(run.history);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  if (keep && result->verdict != Verdict::kLinearizable) {
    std::string path = absl::StrCat(KeepDir(), "/cask-lin-", label, ".history");
    if (WriteHistoryFile(path, run.history).ok()) {
      result->explanation += absl::StrCat("\nhistory kept in ", path, "\n");
    }
  }
  return *result;
}

// What a set of histories exercised, for the test's closing note.
struct RunStats {
  std::uint64_t histories = 0;
  std::uint64_t operations = 0;
  std::uint64_t concurrent = 0;  // overlapping another client's operation
  std::uint64_t mismatches = 0;
  std::uint64_t commits = 0;
  std::uint64_t unknown = 0;  // outcome unknown (a client killed mid-write)

  void Add(const History& h) {
    ++histories;
    operations += h.size();
    for (const Operation& op : h) {
      if (op.outcome == Outcome::kMismatch) ++mismatches;
      if (op.kind == OpKind::kCommit) ++commits;
      if (op.outcome == Outcome::kUnknown) ++unknown;
      for (const Operation& other : h) {
        if (other.client != op.client && other.call < op.ret &&
            op.call < other.ret) {
          ++concurrent;
          break;
        }
      }
    }
  }
  std::string ToString() const {
    return absl::StrCat(histories, " histories, ", operations, " operations (",
                        concurrent, " concurrent with another client's, ",
                        mismatches, " CAS mismatches, ", commits, " commits, ",
                        unknown, " unknown outcomes)");
  }
};

// The first `lines` lines of `text`.
inline std::string FirstLines(const std::string& text, int lines) {
  std::size_t end = 0;
  for (int i = 0; i < lines && end != std::string::npos; ++i) {
    end = text.find('\n', end == 0 ? 0 : end + 1);
  }
  return end == std::string::npos ? text : text.substr(0, end) + "\n  ...";
}

// Fails the test unless `run` is linearizable.
inline void RequireLinearizable(const RunResult& run,
                                const std::string& label) {
  CheckResult r = CheckRun(run, label);
  INFO(label << ": " << VerdictName(r.verdict) << " after " << r.steps
             << " steps\n"
             << r.explanation);
  REQUIRE(r.verdict == Verdict::kLinearizable);
}

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_HISTORY_TEST_UTIL_H_
