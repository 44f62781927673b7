// What the remote adapters' benchmarks (kv_bench, sql_bench) share: the
// value they write, the environment they read, a run id for fresh keys and
// tables, and the benchmark loops that are the same for every backend.
#ifndef CASK_BENCH_REMOTE_BENCH_UTIL_H_
#define CASK_BENCH_REMOTE_BENCH_UTIL_H_

#include <cstdlib>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "cask/precondition.h"
#include "cask/types.h"

namespace cask::bench {

// The value every write stores: 100 bytes.
inline const std::string kValue(100, 'v');

// The first of the variables `a`, `b` that is set and not empty, else "".
// `b` may be null.
inline std::string Env(const char* a, const char* b) {
  for (const char* name : {a, b}) {
    const char* v = name != nullptr ? std::getenv(name) : nullptr;
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

// Eight hex digits, random per process: names this run's keys and tables.
inline std::string RunId() {
  static const std::string id = [] {
    std::random_device rd;
    return absl::StrFormat("%08x", rd());
  }();
  return id;
}

inline WriteOptions When(Precondition p) {
  WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

}  // namespace cask::bench

#endif  // CASK_BENCH_REMOTE_BENCH_UTIL_H_
