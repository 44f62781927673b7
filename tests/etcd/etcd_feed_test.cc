// The etcd adapter's change feed from etcd's native watch, against a real
// etcd (CASK_TEST_ETCD_URL from tests/servers/with-servers.sh; exit 77 when
// unset): Changes, CurrentRevision and Watch in etcd revisions, only the
// store's own prefix, whole revisions per page, kOutOfRange once etcd has
// compacted the history asked for.
#define CATCH_CONFIG_RUNNER

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "etcd_compaction.h"

namespace cask {
namespace {

std::string g_url;

std::unique_ptr<Driver> FreshStore() {
  std::random_device rd;
  auto store = OpenStore(
      absl::StrCat(g_url, "?prefix=feedtest", rd() % 1000000000, "/"));
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE("etcd: Changes and CurrentRevision follow etcd revisions",
          "[etcd][feed]") {
  auto store = FreshStore();
  auto other = FreshStore();  // same cluster, another prefix
  REQUIRE(store->capabilities().watch);
  auto r0 = store->CurrentRevision();
  REQUIRE(r0.ok());
  auto ea = store->Set("notes:a", "hello");
  REQUIRE(ea.ok());
  REQUIRE(other->Set("notes:a", "not ours").ok());
  REQUIRE(store->Set("notes:b", "b").ok());
  REQUIRE(store->Remove("notes:a").ok());
  Batch both;
  both.Put("x:c", "cc");
  both.Put("x:d", "dd");
  auto commit = store->Commit(both);
  REQUIRE(commit.ok());
  auto now = store->CurrentRevision();
  REQUIRE(now.ok());
  CHECK(*now == commit->revision);

  auto events = store->Changes(*r0, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 5);
  const auto& e = *events;
  CHECK(e[0].key == "notes:a");
  CHECK(e[0].kind == ChangeKind::kPut);
  CHECK(e[0].etag == *ea);
  CHECK(e[0].size == 5);
  CHECK(e[1].key == "notes:b");
  CHECK(e[2].key == "notes:a");
  CHECK(e[2].kind == ChangeKind::kDelete);
  CHECK(e[2].etag.empty());
  CHECK(e[3].key == "x:c");
  CHECK(e[4].key == "x:d");
  // One etcd transaction, one revision: the commit's.
  CHECK(e[3].revision == commit->revision);
  CHECK(e[4].revision == commit->revision);
  CHECK(e[0].revision < e[1].revision);
  CHECK(e[1].revision < e[2].revision);
  CHECK(e[2].revision < e[3].revision);

  // Pages end at whole revisions: a limit of 1 after notes:a's delete
  // still returns both keys of the commit.
  auto page = store->Changes(e[2].revision, 1);
  REQUIRE(page.ok());
  CHECK(page->size() == 2);
  page = store->Changes(*r0, 2);
  REQUIRE(page.ok());
  CHECK(page->size() == 2);
  CHECK(page->back().key == "notes:b");
  // Nothing after now: an empty page, at once.
  page = store->Changes(*now, 100);
  REQUIRE(page.ok());
  CHECK(page->empty());
}

TEST_CASE("etcd: Watch delivers the store's events under a base",
          "[etcd][feed]") {
  auto store = FreshStore();
  auto r0 = store->CurrentRevision();
  REQUIRE(r0.ok());
  REQUIRE(store->Set("notes:1", "before the watch").ok());
  absl::Mutex mu;
  std::vector<ChangeEvent> seen;
  auto sub = store->Watch("notes", *r0, [&](const ChangeEvent& e) {
    absl::MutexLock lock(&mu);
    seen.push_back(e);
  });
  REQUIRE(sub.ok());
  REQUIRE(store->Set("other:1", "not under the base").ok());
  REQUIRE(store->Set("notes:2", "live").ok());
  REQUIRE(store->Remove("notes:1").ok());
  {
    absl::MutexLock lock(&mu);
    auto three = [&] { return seen.size() >= 3; };
    REQUIRE(mu.AwaitWithTimeout(absl::Condition(&three), absl::Seconds(30)));
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].key == "notes:1");
    CHECK(seen[1].key == "notes:2");
    CHECK(seen[2].key == "notes:1");
    CHECK(seen[2].kind == ChangeKind::kDelete);
  }
  sub->reset();  // stops delivery
}

TEST_CASE("etcd: history etcd compacted away is kOutOfRange", "[etcd][feed]") {
  auto store = FreshStore();
  auto r0 = store->CurrentRevision();
  REQUIRE(r0.ok());
  REQUIRE(store->Set("k", "1").ok());
  REQUIRE(store->Set("k", "2").ok());
  auto now = store->CurrentRevision();
  REQUIRE(now.ok());
  cask::testing::CompactEtcd(g_url, *now);
  CHECK(store->Changes(*r0, 10).status().code() ==
        absl::StatusCode::kOutOfRange);
  CHECK(store->Watch("", *r0, [](const ChangeEvent&) {}).status().code() ==
        absl::StatusCode::kOutOfRange);
  // From the compaction revision on, the feed works.
  auto page = store->Changes(*now, 10);
  REQUIRE(page.ok());
  CHECK(page->empty());
}

}  // namespace
}  // namespace cask

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_ETCD_URL");
  if (url == nullptr || *url == '\0') {
    std::fprintf(stderr,
                 "SKIPPED: CASK_TEST_ETCD_URL is not set (run under "
                 "tests/servers/with-servers.sh)\n");
    return 77;
  }
  cask::g_url = url;
  return Catch::Session().run(argc, argv);
}
