// The workload and the checks that the engine's crash tests share: the
// kill -9 test (crash_test.cc, a process crash) and the power-loss test
// (power_loss_test.cc, a machine crash). Writer threads do conditional puts
// on keys of their own and one thread commits two keys together; after
// each crash the store must hold no torn commit.
//
// Thread safety: the functions are as thread-safe as the Engine they use.
#ifndef CASK_TESTS_ENGINE_CRASH_WORKLOAD_H_
#define CASK_TESTS_ENGINE_CRASH_WORKLOAD_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"

namespace cask::engine_test {

// Writer threads doing conditional puts, and the keys each one owns (one
// writer per key, so a precondition never fails for another's write).
inline constexpr int kCasThreads = 3;
inline constexpr int kKeysPerThread = 4;
// The two keys every commit writes together, to the same value.
inline constexpr const char* kPairKeys[] = {"pair:a", "pair:b"};

// Prints "<test>: FAILED: <what>" and exits 1.
[[noreturn]] inline void FailTest(const char* test, const std::string& what) {
  std::fprintf(stderr, "%s: FAILED: %s\n", test, what.c_str());
  std::exit(1);
}

// Key number `n` (taken modulo kKeysPerThread) of writer `thread`.
inline std::string CasKey(int thread, std::uint64_t n) {
  return absl::StrCat("k", thread, ":", n % kKeysPerThread);
}

// Every key the workload writes.
inline std::vector<std::string> WorkloadKeys() {
  std::vector<std::string> keys(std::begin(kPairKeys), std::end(kPairKeys));
  for (int t = 0; t < kCasThreads; ++t) {
    for (int k = 0; k < kKeysPerThread; ++k) keys.push_back(CasKey(t, k));
  }
  return keys;
}

// The precondition that `key` still holds what this writer last saw:
// If-Match its current etag, or create-only when it is absent.
inline Precondition Unchanged(Engine& e, const std::string& key) {
  absl::StatusOr<Meta> meta = e.GetMeta(key);
  return meta.ok() ? Precondition::IfMatch(meta->etag)
                   : Precondition::CreateOnly();
}

// A put of `value` conditional on `key` being unchanged since it was read.
inline absl::StatusOr<std::string> CasPut(Engine& e, const std::string& key,
                                          const std::string& value) {
  WriteOptions o;
  o.precondition = Unchanged(e, key);
  return e.Set(key, value, o);
}

// One commit of both pair keys to `value`, each conditional on its current
// etag. The result's etags are in kPairKeys' order.
inline absl::StatusOr<CommitResult> CommitPair(Engine& e,
                                               const std::string& value) {
  Batch b;
  for (const char* key : kPairKeys) {
    b.Put(key, value, WriteOptions{Unchanged(e, key)});
  }
  return e.Commit(b);
}

// Empty when the pair keys hold one whole commit (both with its value at
// consecutive revisions) or neither exists; otherwise what is torn.
inline std::string TornCommit(Engine& e) {
  absl::StatusOr<Item> a = e.Get(kPairKeys[0]);
  absl::StatusOr<Item> b = e.Get(kPairKeys[1]);
  if (a.ok() != b.ok()) return "torn commit: one pair key missing";
  if (a.ok() &&
      (a->value != b->value || b->meta.revision != a->meta.revision + 1)) {
    return absl::StrCat("torn commit: pair keys disagree (", a->meta.etag, "=",
                        a->value, ", ", b->meta.etag, "=", b->value, ")");
  }
  return "";
}

}  // namespace cask::engine_test

#endif  // CASK_TESTS_ENGINE_CRASH_WORKLOAD_H_
