// The checker on hand-written histories: anomalies it must reject and
// legal concurrent histories it must accept.
#include "checker.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "history.h"

namespace cask::lin {
namespace {

Operation Base(int client, std::int64_t call, std::int64_t ret, OpKind kind,
               const std::string& key, Outcome outcome) {
  Operation op;
  op.client = client;
  op.call = call;
  op.ret = ret;
  op.kind = kind;
  op.key = key;
  op.outcome = outcome;
  return op;
}

Operation GetOk(int c, std::int64_t a, std::int64_t b, const std::string& key,
                const std::string& value, const std::string& etag) {
  Operation op = Base(c, a, b, OpKind::kGet, key, Outcome::kOk);
  op.out_value = value;
  op.out_etag = etag;
  return op;
}

Operation GetMissing(int c, std::int64_t a, std::int64_t b,
                     const std::string& key) {
  return Base(c, a, b, OpKind::kGet, key, Outcome::kNotFound);
}

Operation SetOk(int c, std::int64_t a, std::int64_t b, const std::string& key,
                const std::string& value, const std::string& etag,
                Precondition p = {}) {
  Operation op = Base(c, a, b, OpKind::kSet, key, Outcome::kOk);
  op.value = value;
  op.precondition = std::move(p);
  op.out_etag = etag;
  return op;
}

// A mismatch; `current` (when given) is the etag the store reported, with
// nullopt inside meaning "reported absent".
Operation SetMismatch(
    int c, std::int64_t a, std::int64_t b, const std::string& key,
    const std::string& value, Precondition p,
    std::optional<std::optional<std::string>> current = std::nullopt) {
  Operation op = Base(c, a, b, OpKind::kSet, key, Outcome::kMismatch);
  op.value = value;
  op.precondition = std::move(p);
  if (current) {
    op.conflicts_known = true;
    op.conflicts.push_back({key, *current});
  }
  return op;
}

Operation SetUnknown(int c, std::int64_t a, const std::string& key,
                     const std::string& value, Precondition p = {}) {
  Operation op = Base(c, a, kNever, OpKind::kSet, key, Outcome::kUnknown);
  op.value = value;
  op.precondition = std::move(p);
  return op;
}

Operation RemoveOk(int c, std::int64_t a, std::int64_t b,
                   const std::string& key, Precondition p = {}) {
  Operation op = Base(c, a, b, OpKind::kRemove, key, Outcome::kOk);
  op.precondition = std::move(p);
  return op;
}

BatchEntry Put(const std::string& key, const std::string& value,
               Precondition p = {}) {
  return BatchEntry{BatchOpKind::kPut, key, value, std::move(p)};
}
BatchEntry Del(const std::string& key, Precondition p = {}) {
  return BatchEntry{BatchOpKind::kDelete, key, "", std::move(p)};
}
BatchEntry Verify(const std::string& key, Precondition p) {
  return BatchEntry{BatchOpKind::kVerify, key, "", std::move(p)};
}

Operation CommitOk(int c, std::int64_t a, std::int64_t b,
                   std::vector<BatchEntry> batch,
                   std::vector<std::string> etags) {
  Operation op = Base(c, a, b, OpKind::kCommit, "", Outcome::kOk);
  op.batch = std::move(batch);
  op.out_etags = std::move(etags);
  return op;
}

Operation CommitMismatch(int c, std::int64_t a, std::int64_t b,
                         std::vector<BatchEntry> batch,
                         std::vector<ObservedConflict> conflicts) {
  Operation op = Base(c, a, b, OpKind::kCommit, "", Outcome::kMismatch);
  op.batch = std::move(batch);
  op.conflicts_known = !conflicts.empty();
  op.conflicts = std::move(conflicts);
  return op;
}

Operation CommitUnknown(int c, std::int64_t a, std::vector<BatchEntry> batch) {
  Operation op = Base(c, a, kNever, OpKind::kCommit, "", Outcome::kUnknown);
  op.batch = std::move(batch);
  return op;
}

CheckResult Check(const History& h, CheckOptions options = {}) {
  absl::StatusOr<CheckResult> r = CheckHistory(h, options);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  INFO(r->explanation);
  return *r;
}

void RequireLinearizable(const History& h) {
  CheckResult r = Check(h);
  INFO(r.explanation);
  REQUIRE(r.verdict == Verdict::kLinearizable);
}

void RequireIllegal(const History& h) {
  CheckResult r = Check(h);
  INFO(r.explanation);
  REQUIRE(r.verdict == Verdict::kIllegal);
  REQUIRE(!r.explanation.empty());
}

// ---- Histories that must fail -------------------------------------------

TEST_CASE("lost update: two swaps on one etag both win", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "v0", "e0"),
      GetOk(1, 2, 3, "x", "v0", "e0"),
      GetOk(2, 2, 3, "x", "v0", "e0"),
      SetOk(1, 4, 6, "x", "b", "e1", Precondition::IfMatch("e0")),
      SetOk(2, 5, 7, "x", "c", "e2", Precondition::IfMatch("e0")),
  });
}

TEST_CASE("lost update: an acknowledged write vanishes", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetOk(1, 2, 3, "x", "b", "e2"),
      SetOk(0, 4, 5, "x", "c", "e3", Precondition::IfMatch("e1")),
  });
}

TEST_CASE("stale read after an acknowledged write", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "1", "e1"),
      SetOk(0, 2, 3, "x", "2", "e2"),
      GetOk(1, 4, 5, "x", "1", "e1"),
  });
}

TEST_CASE("stale read: a removed key is still read", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      RemoveOk(0, 2, 3, "x", Precondition::IfMatch("e1")),
      GetOk(1, 4, 5, "x", "a", "e1"),
  });
}

TEST_CASE("stale read: a reader goes back in time", "[must-fail]") {
  // The write is concurrent with both reads, but once one read saw it a
  // later read cannot miss it.
  RequireIllegal({
      SetOk(0, 0, 1, "x", "1", "e1"),
      SetOk(0, 2, 20, "x", "2", "e2"),
      GetOk(1, 3, 4, "x", "2", "e2"),
      GetOk(2, 5, 6, "x", "1", "e1"),
  });
}

TEST_CASE("double-applied retry: one write takes effect twice", "[must-fail]") {
  // c0's set was retried inside the client; it shows up before and after
  // c1's write, with two etags.
  RequireIllegal({
      SetOk(0, 0, 10, "x", "a", "e1"),
      GetOk(1, 1, 2, "x", "a", "e1"),
      SetOk(1, 3, 4, "x", "b", "e2"),
      GetOk(1, 5, 6, "x", "a", "e3"),
  });
}

TEST_CASE("double-applied retry: a false mismatch for a write that landed",
          "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetMismatch(0, 2, 10, "x", "b", Precondition::IfMatch("e1")),
      GetOk(1, 11, 12, "x", "b", "e2"),
  });
}

TEST_CASE("torn commit: a reader sees half of a batch", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      SetOk(0, 0, 1, "y", "y0", "e2"),
      CommitOk(1, 2, 20, {Put("x", "x1"), Put("y", "y1")}, {"e3", "e4"}),
      GetOk(2, 3, 4, "x", "x1", "e3"),
      GetOk(2, 5, 6, "y", "y0", "e2"),
  });
}

TEST_CASE("torn commit: a failed commit leaves one of its writes",
          "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      CommitMismatch(1, 2, 3,
                     {Put("x", "x1", Precondition::IfMatch("e1")),
                      Put("y", "y1", Precondition::MustExist())},
                     {{"y", std::nullopt}}),
      GetOk(2, 4, 5, "x", "x1", "e5"),
  });
}

TEST_CASE("a commit conflict must list every failing key", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      CommitMismatch(1, 2, 3,
                     {Put("x", "x1", Precondition::IfMatch("e0")),
                      Put("y", "y1", Precondition::MustExist())},
                     {{"y", std::nullopt}}),
  });
}

TEST_CASE("two create-only winners", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 5, "x", "a", "e1", Precondition::CreateOnly()),
      SetOk(1, 1, 6, "x", "b", "e2", Precondition::CreateOnly()),
  });
}

TEST_CASE("a read of a value never written", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      GetOk(1, 2, 3, "x", "zzz", "e1"),
  });
}

TEST_CASE("a read of a key never written", "[must-fail]") {
  RequireIllegal({GetOk(1, 2, 3, "x", "a", "e1")});
}

TEST_CASE("an etag issued twice for a key (ABA)", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      RemoveOk(0, 2, 3, "x"),
      SetOk(0, 4, 5, "x", "b", "e1"),
  });
}

TEST_CASE("a mismatch reporting the wrong current etag", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetMismatch(1, 2, 3, "x", "b", Precondition::IfMatch("e0"),
                  std::optional<std::string>("e7")),
  });
}

TEST_CASE("a swap refused although its etag was current", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetMismatch(1, 2, 3, "x", "b", Precondition::IfMatch("e1")),
  });
}

TEST_CASE("an unknown-outcome write cannot land before its call",
          "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "a", "e1"),
      GetOk(1, 2, 3, "x", "b", "e9"),
      SetUnknown(2, 4, "x", "b"),
  });
}

TEST_CASE("an unknown-outcome commit is still all-or-nothing", "[must-fail]") {
  RequireIllegal({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      SetOk(0, 0, 1, "y", "y0", "e2"),
      CommitUnknown(1, 2, {Put("x", "x1"), Put("y", "y1")}),
      GetOk(2, 3, 4, "x", "x1", "e9"),
      GetOk(2, 5, 6, "y", "y0", "e2"),
  });
}

// ---- Histories that must pass -------------------------------------------

TEST_CASE("the empty history", "[must-pass]") { RequireLinearizable({}); }

TEST_CASE("concurrent overlapping writes, either order", "[must-pass]") {
  History h = {
      SetOk(0, 0, 10, "x", "a", "e1"),
      SetOk(1, 2, 8, "x", "b", "e2"),
  };
  SECTION("a last") {
    h.push_back(GetOk(2, 11, 12, "x", "a", "e1"));
    RequireLinearizable(h);
  }
  SECTION("b last") {
    h.push_back(GetOk(2, 11, 12, "x", "b", "e2"));
    RequireLinearizable(h);
  }
  SECTION("b seen during the overlap, then a") {
    h.push_back(GetOk(2, 3, 4, "x", "b", "e2"));
    h.push_back(GetOk(2, 11, 12, "x", "a", "e1"));
    RequireLinearizable(h);
  }
}

TEST_CASE("a read concurrent with a write sees the old or the new value",
          "[must-pass]") {
  History h = {
      SetOk(0, 0, 1, "x", "1", "e1"),
      SetOk(0, 2, 10, "x", "2", "e2"),
  };
  SECTION("old") {
    h.push_back(GetOk(1, 3, 4, "x", "1", "e1"));
    RequireLinearizable(h);
  }
  SECTION("new") {
    h.push_back(GetOk(1, 3, 4, "x", "2", "e2"));
    RequireLinearizable(h);
  }
}

TEST_CASE("increments by swap: one wins, the other mismatches", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "0", "e0"),
      GetOk(1, 2, 3, "x", "0", "e0"),
      GetOk(2, 2, 3, "x", "0", "e0"),
      SetOk(1, 4, 6, "x", "1", "e1", Precondition::IfMatch("e0")),
      SetMismatch(2, 5, 7, "x", "1'", Precondition::IfMatch("e0"),
                  std::optional<std::string>("e1")),
      GetOk(2, 8, 9, "x", "1", "e1"),
      SetOk(2, 10, 11, "x", "2", "e2", Precondition::IfMatch("e1")),
  });
}

TEST_CASE("create-only: one winner, the loser sees its etag", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 5, "x", "a", "e1", Precondition::CreateOnly()),
      SetMismatch(1, 1, 6, "x", "b", Precondition::CreateOnly(),
                  std::optional<std::string>("e1")),
      RemoveOk(0, 7, 8, "x", Precondition::IfMatch("e1")),
      GetMissing(1, 9, 10, "x"),
      SetOk(1, 11, 12, "x", "c", "e3", Precondition::CreateOnly()),
  });
}

TEST_CASE("if-none-match and remove preconditions", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetMismatch(0, 2, 3, "x", "b", Precondition::IfNoneMatch("e1"),
                  std::optional<std::string>("e1")),
      SetOk(0, 4, 5, "x", "c", "e2", Precondition::IfNoneMatch("e0")),
      SetOk(0, 6, 7, "x", "d", "e3", Precondition::MustExist()),
      RemoveOk(0, 8, 9, "x"),
      RemoveOk(0, 10, 11, "x"),  // removing a missing key is OK
      SetMismatch(0, 12, 13, "x", "e", Precondition::MustExist(),
                  std::optional<std::string>(std::nullopt)),
  });
}

TEST_CASE("an unknown-outcome write that took effect", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetUnknown(1, 2, "x", "b"),
      GetOk(2, 5, 6, "x", "b", "e9"),
      SetOk(2, 7, 8, "x", "c", "e10", Precondition::IfMatch("e9")),
      GetOk(2, 9, 10, "x", "c", "e10"),
  });
}

TEST_CASE("an unknown-outcome write first revealed by a mismatch",
          "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetUnknown(1, 2, "x", "b"),
      SetMismatch(2, 5, 6, "x", "c", Precondition::IfMatch("e1"),
                  std::optional<std::string>("e9")),
      SetOk(2, 7, 8, "x", "c", "e10", Precondition::IfMatch("e9")),
  });
}

TEST_CASE("an unknown-outcome write that did not take effect", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetUnknown(1, 2, "x", "b", Precondition::IfMatch("e1")),
      GetOk(2, 5, 6, "x", "a", "e1"),
      GetOk(2, 7, 8, "x", "a", "e1"),
      SetOk(2, 9, 10, "x", "c", "e2", Precondition::IfMatch("e1")),
  });
}

TEST_CASE("an unknown-outcome write that took effect late", "[must-pass]") {
  // The client lost the connection; the write still landed after other
  // operations had returned.
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "a", "e1"),
      SetUnknown(1, 2, "x", "b"),
      GetOk(2, 5, 6, "x", "a", "e1"),
      GetOk(2, 7, 8, "x", "b", "e9"),
  });
}

TEST_CASE("an unknown-outcome commit seen whole", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      CommitUnknown(1, 2,
                    {Put("x", "x1", Precondition::IfMatch("e1")),
                     Put("y", "y1", Precondition::CreateOnly())}),
      GetOk(2, 3, 4, "y", "y1", "e9"),
      GetOk(2, 5, 6, "x", "x1", "e9"),
  });
}

TEST_CASE("commits: all-or-nothing, verify and delete", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      SetOk(0, 0, 1, "y", "y0", "e2"),
      CommitOk(1, 2, 20,
               {Put("x", "x1", Precondition::IfMatch("e1")),
                Del("y", Precondition::IfMatch("e2")),
                Verify("z", Precondition::CreateOnly())},
               {"e3", "", ""}),
      GetOk(2, 3, 4, "x", "x1", "e3"),
      GetMissing(2, 5, 6, "y"),
      CommitMismatch(
          2, 21, 22,
          {Put("x", "x2", Precondition::IfMatch("e1")),
           Put("y", "y2", Precondition::MustExist()), Put("z", "z2")},
          {{"x", "e3"}, {"y", std::nullopt}}),
      GetOk(2, 23, 24, "x", "x1", "e3"),
      GetMissing(2, 25, 26, "z"),
  });
}

TEST_CASE("a reader sees a concurrent commit whole", "[must-pass]") {
  RequireLinearizable({
      SetOk(0, 0, 1, "x", "x0", "e1"),
      SetOk(0, 0, 1, "y", "y0", "e2"),
      CommitOk(1, 2, 20, {Put("x", "x1"), Put("y", "y1")}, {"e3", "e4"}),
      GetOk(2, 3, 4, "y", "y0", "e2"),
      GetOk(2, 5, 6, "x", "x1", "e3"),
      GetOk(2, 7, 8, "y", "y1", "e4"),
  });
}

// ---- The checker's machinery ---------------------------------------------

TEST_CASE("partitions follow keys joined by commits", "[checker]") {
  CheckResult r = Check({
      SetOk(0, 0, 1, "a", "1", "e1"),
      SetOk(0, 0, 1, "b", "1", "e2"),
      SetOk(0, 0, 1, "c", "1", "e3"),
      CommitOk(1, 2, 3, {Put("b", "2"), Put("c", "2")}, {"e4", "e5"}),
  });
  REQUIRE(r.verdict == Verdict::kLinearizable);
  REQUIRE(r.partitions == 2);
}

TEST_CASE("an exhausted budget is unknown, never a pass", "[checker]") {
  // Many concurrent writes followed by a read that rules out every order
  // the search tries first.
  History h;
  for (int i = 0; i < 11; ++i) {
    h.push_back(
        SetOk(i, 0, 100, "x", absl::StrCat("v", i), absl::StrCat("e", i)));
  }
  h.push_back(GetOk(99, 101, 102, "x", "nope", "e99"));
  CheckOptions options;
  options.max_steps = 50;
  CheckResult r = Check(h, options);
  REQUIRE(r.verdict == Verdict::kUnknown);
  REQUIRE(r.explanation.find("budget") != std::string::npos);
  // With the budget it needs, the search proves it illegal.
  REQUIRE(Check(h).verdict == Verdict::kIllegal);
}

TEST_CASE("wide concurrency is searched within the budget", "[checker]") {
  // 12 mutually concurrent writes and a read that needs one of them last:
  // memoisation keeps this to (subsets x last writer) states.
  History h;
  for (int i = 0; i < 12; ++i) {
    h.push_back(
        SetOk(i, 0, 100, "x", absl::StrCat("v", i), absl::StrCat("e", i)));
  }
  h.push_back(GetOk(99, 101, 102, "x", "v7", "e7"));
  CheckResult r = Check(h);
  REQUIRE(r.verdict == Verdict::kLinearizable);
}

// Simulates a linearizable store: every operation takes effect at a random
// instant inside its interval, in the order of those instants.
History SimulateLinearizableStore(std::uint64_t seed, int clients, int ops) {
  std::mt19937_64 rng(seed);
  struct Pending {
    Operation op;
    std::int64_t point;
  };
  std::vector<Pending> pending;
  for (int c = 0; c < clients; ++c) {
    std::int64_t t = static_cast<std::int64_t>(rng() % 10);
    for (int i = 0; i < ops; ++i) {
      Operation op;
      op.client = c;
      op.call = t;
      op.ret = t + 2 + static_cast<std::int64_t>(rng() % 40);
      t = op.ret + 1 + static_cast<std::int64_t>(rng() % 5);
      std::string key = absl::StrCat("k", rng() % 3);
      int dice = static_cast<int>(rng() % 100);
      if (dice < 35) {
        op.kind = OpKind::kGet;
        op.key = key;
      } else if (dice < 80) {
        op.kind = OpKind::kSet;
        op.key = key;
        op.value = absl::StrCat("c", c, "-", i);
        int cond = static_cast<int>(rng() % 4);
        if (cond == 1) op.precondition = Precondition::CreateOnly();
        // Swaps name a recent etag; filled in at the linearization point.
        if (cond >= 2) op.precondition = Precondition::IfMatch("?");
      } else if (dice < 90) {
        op.kind = OpKind::kRemove;
        op.key = key;
        if (rng() % 2) op.precondition = Precondition::IfMatch("?");
      } else {
        op.kind = OpKind::kCommit;
        op.batch = {Put("k0", absl::StrCat("c", c, "-", i, "a"),
                        Precondition::IfMatch("?")),
                    Put("k1", absl::StrCat("c", c, "-", i, "b"))};
      }
      std::int64_t point =
          op.call + 1 + static_cast<std::int64_t>(rng() % (op.ret - op.call));
      pending.push_back({std::move(op), point});
    }
  }
  std::sort(
      pending.begin(), pending.end(),
      [](const Pending& a, const Pending& b) { return a.point < b.point; });
  std::map<std::string, std::pair<std::string, std::string>> state;
  std::map<std::string, std::string> last_etag;  // including removed keys
  int next_etag = 0;
  auto current = [&](const std::string& key) -> std::optional<std::string> {
    auto it = state.find(key);
    if (it == state.end()) return std::nullopt;
    return it->second.second;
  };
  // Swaps target the current etag most of the time, else a stale one.
  auto resolve = [&](Precondition& p, const std::string& key) {
    if (!p.if_match || (*p.if_match)[0] != "?") return;
    std::optional<std::string> cur = current(key);
    if (cur && rng() % 4 != 0) {
      p = Precondition::IfMatch(*cur);
    } else if (last_etag.count(key)) {
      p = Precondition::IfMatch(last_etag[key]);
    } else {
      p = Precondition::IfMatch("never");
    }
  };
  History h;
  for (Pending& p : pending) {
    Operation& op = p.op;
    if (op.kind == OpKind::kGet) {
      auto it = state.find(op.key);
      op.outcome = it == state.end() ? Outcome::kNotFound : Outcome::kOk;
      if (it != state.end()) {
        op.out_value = it->second.first;
        op.out_etag = it->second.second;
      }
    } else if (op.kind != OpKind::kCommit) {
      resolve(op.precondition, op.key);
      std::optional<std::string> cur = current(op.key);
      if (!PreconditionHolds(op.precondition, cur)) {
        op.outcome = Outcome::kMismatch;
        op.conflicts_known = true;
        op.conflicts.push_back({op.key, cur});
      } else if (op.kind == OpKind::kSet) {
        op.outcome = Outcome::kOk;
        op.out_etag = absl::StrCat("e", ++next_etag);
        state[op.key] = {op.value, op.out_etag};
        last_etag[op.key] = op.out_etag;
      } else {
        op.outcome = Outcome::kOk;
        state.erase(op.key);
      }
    } else {
      for (BatchEntry& e : op.batch) resolve(e.precondition, e.key);
      for (BatchEntry& e : op.batch) {
        if (!PreconditionHolds(e.precondition, current(e.key))) {
          op.conflicts.push_back({e.key, current(e.key)});
        }
      }
      if (!op.conflicts.empty()) {
        op.outcome = Outcome::kMismatch;
        op.conflicts_known = true;
      } else {
        op.outcome = Outcome::kOk;
        for (BatchEntry& e : op.batch) {
          op.out_etags.push_back(absl::StrCat("e", ++next_etag));
          state[e.key] = {e.value, op.out_etags.back()};
          last_etag[e.key] = op.out_etags.back();
        }
      }
    }
    h.push_back(std::move(op));
  }
  return h;
}

TEST_CASE("simulated linearizable stores pass; a corrupted read fails",
          "[checker]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    History h = SimulateLinearizableStore(seed, 4, 150);
    CheckResult ok = Check(h);
    INFO("seed " << seed);
    REQUIRE(ok.verdict == Verdict::kLinearizable);
    // A read that returns an etag no write issued is caught.
    for (Operation& op : h) {
      if (op.kind == OpKind::kGet && op.outcome == Outcome::kOk) {
        op.out_etag = "forged";
        break;
      }
    }
    REQUIRE(Check(h).verdict == Verdict::kIllegal);
  }
}

TEST_CASE("malformed histories are rejected", "[checker]") {
  Operation backwards = SetOk(0, 5, 1, "x", "a", "e1");
  REQUIRE(CheckHistory({backwards}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  Operation no_etag = SetOk(0, 0, 1, "x", "a", "");
  REQUIRE(CheckHistory({no_etag}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  Operation unknown_with_return = SetUnknown(0, 0, "x", "a");
  unknown_with_return.ret = 5;
  REQUIRE(CheckHistory({unknown_with_return}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  Operation duplicate = CommitOk(0, 0, 1, {Put("x", "1"), Del("x")}, {"e", ""});
  REQUIRE(CheckHistory({duplicate}).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("operations survive encoding, including awkward bytes", "[history]") {
  History h = {
      SetMismatch(3, 10, 20, "k\t1", std::string("v\n\0x", 4),
                  Precondition::IfMatch("e,1"),
                  std::optional<std::optional<std::string>>(
                      std::optional<std::string>())),
      SetUnknown(1, 5, "x", "", Precondition::CreateOnly()),
      CommitOk(2, 1, 2,
               {Put("a", "1", Precondition::IfNoneMatch("W/\"q")),
                Verify("b", Precondition::MustExist()), Del("c")},
               {"e1", "", ""}),
      CommitMismatch(2, 3, 4, {Put("a", "2", Precondition::IfMatch("e0"))},
                     {{"a", "e1"}}),
      GetOk(0, 7, 8, "x", "\\", "\"e\""),
  };
  for (const Operation& op : h) {
    std::string line = EncodeOperation(op);
    REQUIRE(line.find('\n') == std::string::npos);
    absl::StatusOr<Operation> back = DecodeOperation(line);
    INFO(line);
    REQUIRE(back.ok());
    REQUIRE(EncodeOperation(*back) == line);
    REQUIRE(DescribeOperation(*back) == DescribeOperation(op));
  }
  REQUIRE(!DecodeOperation("lin1\tgarbage").ok());

  std::string path =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
      "/cask_lin_history_test.txt";
  REQUIRE(WriteHistoryFile(path, h).ok());
  absl::StatusOr<History> read = ReadHistoryFile(path);
  std::remove(path.c_str());
  REQUIRE(read.ok());
  REQUIRE(read->size() == h.size());
  REQUIRE(EncodeOperation((*read)[2]) == EncodeOperation(h[2]));
}

}  // namespace
}  // namespace cask::lin
