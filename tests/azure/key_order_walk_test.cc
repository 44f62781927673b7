// The key-order walk of the '/'-named object stores (s3, azure_blob)
// against a model of a delimiter listing (names in bytewise order, where
// '/' sorts below the digits and ':' above them): random key sets, every
// start_after and several page sizes give exactly the keys in key order.
// The walk is also run against moto and Azurite by the conformance suite;
// this covers far more shapes than a server round trip per case allows.
#include "key_order_walk.h"

#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"

namespace cask::objstore {
namespace {

std::string NameOf(const std::string& key) {
  return absl::StrReplaceAll(key, {{":", "/"}});
}

// A ListObjectsV2 with delimiter '/' over `names`, as S3 answers it: names
// and folded directories after start-after (a directory only when its own
// name "…/" is past it), `max` per page, the continuation being the last
// name returned.
class ModelLister {
 public:
  explicit ModelLister(const std::set<std::string>& keys) {
    for (const std::string& k : keys) names_.insert(NameOf(k));
  }

  absl::StatusOr<LevelPage> operator()(const std::string& level_key,
                                       const std::string& after,
                                       const std::string& continuation,
                                       std::size_t max) {
    ++requests;
    const std::string prefix = level_key.empty() ? "" : NameOf(level_key) + "/";
    std::string start = continuation;
    if (start.empty() && !after.empty()) start = prefix + after;
    LevelPage page;
    std::string last;
    for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
      if (it->compare(0, prefix.size(), prefix) != 0) break;
      std::string rest = it->substr(prefix.size());
      std::size_t slash = rest.find('/');
      LevelEntry e;
      std::string name;
      if (slash == std::string::npos) {
        e.segment = rest;
        name = *it;
      } else {
        e.segment = rest.substr(0, slash);
        e.is_dir = true;
        name = prefix + e.segment + "/";
      }
      if (!start.empty() && name <= start) continue;
      if (name == last) continue;  // the same directory again
      if (page.entries.size() == max) {
        page.continuation = last;
        break;
      }
      e.meta.etag = *it;
      page.entries.push_back(e);
      last = name;
    }
    return page;
  }

  int requests = 0;

 private:
  std::set<std::string> names_;
};

std::vector<std::string> ScanAll(const std::set<std::string>& keys,
                                 const std::string& base,
                                 const std::string& start_after,
                                 std::size_t limit) {
  ModelLister lister(keys);
  ListLevelFn list = [&](const std::string& l, const std::string& a,
                         const std::string& c,
                         std::size_t m) { return lister(l, a, c, m); };
  std::vector<std::string> out;
  std::string after = start_after;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 1000);
    absl::StatusOr<std::vector<WalkedKey>> page =
        WalkInKeyOrder(list, base, after, limit);
    REQUIRE(page.ok());
    REQUIRE(page->size() <= limit);
    for (const WalkedKey& w : *page) out.push_back(w.key);
    if (page->size() < limit) break;
    after = page->back().key;
  }
  return out;
}

std::vector<std::string> Expected(const std::set<std::string>& keys,
                                  const std::string& base,
                                  const std::string& start_after) {
  std::vector<std::string> out;
  for (const std::string& k : keys) {  // std::set: bytewise key order
    bool under = base.empty() || k.rfind(base + ":", 0) == 0;
    if (under && k > start_after) out.push_back(k);
  }
  return out;
}

// A key of 1-3 segments over bytes that sort around '/' and ':'.
std::string RandomKey(std::mt19937& rng) {
  static const std::string kBytes = "019a-.;~";
  std::string key;
  int segments = 1 + static_cast<int>(rng() % 3);
  for (int s = 0; s < segments; ++s) {
    if (s > 0) key.push_back(':');
    int len = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < len; ++i) key.push_back(kBytes[rng() % kBytes.size()]);
  }
  return key;
}

TEST_CASE("key-order walk: the keys the name order would misplace",
          "[objectstore][scan]") {
  std::set<std::string> keys = {"s1",   "s10:a",  "s1:a",  "s1:b",  "s1:c:d",
                                "s2:a", "a",      "a0",    "a1:x",  "a1",
                                "a12",  "a1:y:z", "a10:w", "a1-b",  "a:b",
                                "a9",   "a;",     "a12:q", "a1-c:d"};
  std::vector<std::string> probes(keys.begin(), keys.end());
  for (const char* extra : {"", "a1:", "a1:x:", "a11", "a12:", "s10", "s1:c"}) {
    probes.push_back(extra);
  }
  for (const std::string& after : probes) {
    for (std::size_t limit : {1, 2, 3, 50}) {
      INFO("after " << after << " limit " << limit);
      REQUIRE(ScanAll(keys, "", after, limit) == Expected(keys, "", after));
      REQUIRE(ScanAll(keys, "a1", after, limit) == Expected(keys, "a1", after));
    }
  }
}

TEST_CASE("key-order walk: a limit of SIZE_MAX (no limit) lists every key",
          "[walk]") {
  // The listing's page size was `limit - found + 16`, which wraps to 0 for
  // SIZE_MAX once 16 keys are found: an empty page that ended the walk.
  std::set<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.insert(absl::StrCat("k", 100 + i));
  const std::size_t no_limit = std::numeric_limits<std::size_t>::max();
  REQUIRE(ScanAll(keys, "", "", no_limit) == Expected(keys, "", ""));
}

TEST_CASE("key-order walk: random key sets, every start_after",
          "[objectstore][scan]") {
  std::mt19937 rng(20261128);
  for (int round = 0; round < 200; ++round) {
    std::set<std::string> keys;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) keys.insert(RandomKey(rng));
    std::vector<std::string> probes(keys.begin(), keys.end());
    for (int i = 0; i < 10; ++i) probes.push_back(RandomKey(rng));
    probes.push_back("");
    std::string base = RandomKey(rng).substr(0, 1);
    for (const std::string& after : probes) {
      std::size_t limit = 1 + rng() % 5;
      INFO("round " << round << " after " << after << " limit " << limit);
      REQUIRE(ScanAll(keys, "", after, limit) == Expected(keys, "", after));
      REQUIRE(ScanAll(keys, base, after, limit) == Expected(keys, base, after));
    }
  }
}

}  // namespace
}  // namespace cask::objstore
