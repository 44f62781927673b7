// Sync between engine stores through a real `cask serve` (the server on an
// engine store too), over the http adapter: push, pull, conflicts,
// resolution, outages, lost acknowledgements, a trimmed remote log, and
// the randomized partition workload with three devices.
#define CATCH_CONFIG_MAIN
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "cask/key.h"
#include "cask/status.h"
#include "cask/sync.h"
#include "catch2/catch.hpp"
#include "served_engine.h"
#include "sync_harness.h"

namespace cask::synctest {
namespace {

TEST_CASE("sync: pushes local writes and pulls remote ones", "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  Device b = MakeDevice("b", remote.client());
  REQUIRE(a.local->Set("notes:1", "hello").ok());
  REQUIRE(a.local->Set("notes:2", "world").ok());
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 2);
  CHECK(r->unresolved_conflicts == 0);
  CHECK(remote.client()->Get("notes:1")->value == "hello");

  r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 2);
  CHECK(b.local->Get("notes:2")->value == "world");

  REQUIRE(b.local->Remove("notes:1").ok());
  REQUIRE(b.sync->RunOnce().ok());
  CHECK(remote.client()->Get("notes:1").status().code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(a.sync->RunOnce().ok());
  CHECK(a.local->Get("notes:1").status().code() == absl::StatusCode::kNotFound);
  // The sync state is invisible to users of the local store.
  CHECK(*a.local->Keys() == std::vector<std::string>{"notes:2"});
  auto events = a.local->Changes(0, 1000);
  REQUIRE(events.ok());
  CHECK(events->size() == 3);
  for (const ChangeEvent& e : *events) CHECK_FALSE(IsReservedKey(e.key));
  // A round with nothing to do sends one request (the remote feed).
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.remote_requests == 1);
}

TEST_CASE(
    "cask serve's feed carries a put's value while it is current and small "
    "enough; a pull of such a page reads nothing else",
    "[sync][feed]") {
  ServedEngine remote;
  Driver& client = *remote.client();
  REQUIRE(client.Set("a", std::string("\0\xff bin", 6)).ok());
  REQUIRE(client.Set("b", "old").ok());
  REQUIRE(client.Set("b", "new").ok());
  REQUIRE(client.Set("big", std::string(65 << 10, 'x')).ok());
  REQUIRE(client.Remove("a").ok());
  auto events = client.Changes(0, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 5);
  // a's put: a was removed since, so its value is not attached.
  CHECK(!(*events)[0].value.has_value());
  CHECK(!(*events)[1].value.has_value());  // b rewritten since
  REQUIRE((*events)[2].value.has_value());
  CHECK(*(*events)[2].value == "new");
  CHECK(!(*events)[3].value.has_value());  // over 64 KiB
  CHECK(!(*events)[4].value.has_value());  // a delete
  REQUIRE(client.Set("c", std::string("\0\xff bin", 6)).ok());
  events = client.Changes((*events)[4].revision, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK(*(*events)[0].value == std::string("\0\xff bin", 6));

  // A new device pulls b, big and c: one feed page, one Get (big), and
  // the empty page that ends the round.
  Device d = MakeDevice("d", remote.client());
  auto r = d.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 3);
  CHECK(r->counts.remote_requests == 3);
  CHECK(d.local->Get("big")->value.size() == (65u << 10));
  CHECK(d.local->Get("c")->value == std::string("\0\xff bin", 6));
}

TEST_CASE("sync: clear of the local store keeps the sync state", "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  REQUIRE(a.local->Set("x:1", "1").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(a.local->Clear().ok());
  REQUIRE(a.sync->RunOnce().ok());
  // The clear was pushed as a conditional remove: the state said x:1 was
  // on the remote.
  CHECK(remote.client()->Keys()->empty());
  CHECK(a.sync->Conflicts()->empty());
}

TEST_CASE(
    "sync: a batched push settles a key the remote refused alone and sends "
    "the rest",
    "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  for (const char* k : {"k:1", "k:2", "k:3", "k:4"}) {
    REQUIRE(a.local->Set(k, "v0").ok());
  }
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 4);
  // Four pushes in one remote Commit: the feed read plus the Commit.
  CHECK(r->counts.remote_requests == 2);
  for (const char* k : {"k:1", "k:2", "k:3", "k:4"}) {
    REQUIRE(a.local->Set(k, "v1").ok());
  }
  // k:2 and k:4 change on the remote after the round's pull, before its
  // push: k:2 to another value (a conflict), k:4 to the same (converged).
  a.remote->before_next_commit = [&] {
    REQUIRE(remote.client()->Set("k:2", "other").ok());
    REQUIRE(remote.client()->Set("k:4", "v1").ok());
  };
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 2);
  CHECK(r->counts.converged == 1);
  CHECK(r->counts.conflicts == 1);
  CHECK(r->unresolved_conflicts == 1);
  CHECK(remote.client()->Get("k:1")->value == "v1");
  CHECK(remote.client()->Get("k:2")->value == "other");
  CHECK(remote.client()->Get("k:3")->value == "v1");
  CHECK(a.local->Get("k:2")->value == "v1");
  auto conflicts = a.sync->Conflicts();
  REQUIRE(conflicts->size() == 1);
  CHECK((*conflicts)[0].key == "k:2");
  CHECK((*conflicts)[0].remote_value == "other");
  CHECK((*conflicts)[0].reason == "push");
}

TEST_CASE("sync: a batch whose answer was lost is settled key by key",
          "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  REQUIRE(a.local->Set("k:1", "v0").ok());
  REQUIRE(a.local->Set("k:2", "v0").ok());
  a.remote->lose_acks = true;
  CHECK(a.sync->RunOnce().ok());
  a.remote->lose_acks = false;
  // The Commit landed; each key's replay fails its precondition, reads the
  // remote back and adopts its own value: no conflict, nothing sent twice.
  REQUIRE(a.sync->RunOnce().ok());
  CHECK(a.sync->Conflicts()->empty());
  CHECK(remote.client()->Get("k:1")->value == "v0");
  auto events = remote.store().Changes(0, 100);
  REQUIRE(events.ok());
  CHECK(events->size() == 2);
}

TEST_CASE("sync: concurrent edits are conflicts; nothing is overwritten",
          "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  Device b = MakeDevice("b", remote.client());
  REQUIRE(a.local->Set("doc", "v0").ok());
  Quiesce({&a, &b});
  REQUIRE(a.local->Set("doc", "from-a").ok());
  REQUIRE(b.local->Set("doc", "from-b").ok());
  REQUIRE(a.sync->RunOnce().ok());
  auto r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.conflicts == 1);
  CHECK(r->unresolved_conflicts == 1);
  // Both values survive: b's locally, a's on the remote and in b's record.
  CHECK(b.local->Get("doc")->value == "from-b");
  CHECK(remote.client()->Get("doc")->value == "from-a");
  auto conflicts = b.sync->Conflicts();
  REQUIRE(conflicts->size() == 1);
  CHECK((*conflicts)[0].key == "doc");
  CHECK((*conflicts)[0].remote_value == "from-a");
  CHECK((*conflicts)[0].remote_etag == remote.client()->GetMeta("doc")->etag);
  // Further rounds keep it until it is resolved.
  REQUIRE(b.sync->RunOnce()->unresolved_conflicts == 1);
  CHECK(b.sync->Resolve("nope", Resolution::kKeepLocal).code() ==
        absl::StatusCode::kNotFound);

  SECTION("keep local pushes b's value over a's") {
    REQUIRE(b.sync->Resolve("doc", Resolution::kKeepLocal).ok());
    r = b.sync->RunOnce();
    REQUIRE(r.ok());
    CHECK(r->unresolved_conflicts == 0);
    CHECK(remote.client()->Get("doc")->value == "from-b");
    Quiesce({&a, &b});
    CHECK(a.local->Get("doc")->value == "from-b");
  }
  SECTION("keep remote takes a's value") {
    REQUIRE(b.sync->Resolve("doc", Resolution::kKeepRemote).ok());
    CHECK(b.local->Get("doc")->value == "from-a");
    r = b.sync->RunOnce();
    REQUIRE(r.ok());
    CHECK(r->counts.pushed == 0);
    CHECK(remote.client()->Get("doc")->value == "from-a");
  }
  SECTION("a merged value syncs everywhere") {
    REQUIRE(b.sync->Resolve("doc", Resolution::kMerged, "a+b").ok());
    Quiesce({&a, &b});
    CHECK(remote.client()->Get("doc")->value == "a+b");
    CHECK(a.local->Get("doc")->value == "a+b");
  }
  SECTION("a resolution against a remote that moved again conflicts again") {
    REQUIRE(remote.client()->Set("doc", "third").ok());
    REQUIRE(b.sync->Resolve("doc", Resolution::kKeepLocal).ok());
    r = b.sync->RunOnce();
    REQUIRE(r.ok());
    CHECK(r->unresolved_conflicts == 1);
    CHECK(remote.client()->Get("doc")->value == "third");
    CHECK((*b.sync->Conflicts())[0].remote_value == "third");
  }
}

TEST_CASE("sync: a pulled change never overwrites an unsynced local edit",
          "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  REQUIRE(a.local->Set("k", "base").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(remote.client()->Set("k", "remote-edit").ok());
  REQUIRE(a.local->Set("k", "local-edit").ok());
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->unresolved_conflicts == 1);
  CHECK(a.local->Get("k")->value == "local-edit");
  CHECK(remote.client()->Get("k")->value == "remote-edit");
  CHECK((*a.sync->Conflicts())[0].reason == "pull");
}

TEST_CASE("sync: equal values reached independently are not a conflict",
          "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  REQUIRE(remote.client()->Set("same", "v").ok());
  REQUIRE(a.local->Set("same", "v").ok());
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->unresolved_conflicts == 0);
  CHECK(r->counts.converged >= 1);
}

TEST_CASE(
    "sync: the remote down never blocks local work; the next run "
    "resumes",
    "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  remote.Stop();
  REQUIRE(a.local->Set("offline:1", "x").ok());
  CHECK(a.local->Get("offline:1")->value == "x");
  CHECK(a.sync->RunOnce().status().code() == absl::StatusCode::kUnavailable);
  CHECK(a.sync->status().last_error.code() == absl::StatusCode::kUnavailable);
  remote.Start();
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 1);
  CHECK(remote.client()->Get("offline:1")->value == "x");
}

TEST_CASE("sync: a lost acknowledgement is settled by reading the remote",
          "[sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  REQUIRE(a.local->Set("k", "1").ok());
  a.remote->lose_acks = true;
  auto r = a.sync->RunOnce();
  a.remote->lose_acks = false;
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 1);
  CHECK(r->unresolved_conflicts == 0);
  CHECK(remote.client()->Get("k")->value == "1");
  // The state recorded the etag read back: the next edit is a clean swap.
  REQUIRE(a.local->Set("k", "2").ok());
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->unresolved_conflicts == 0);
  CHECK(remote.client()->Get("k")->value == "2");
}

TEST_CASE(
    "sync: a remote log trimmed past the checkpoint falls back to a "
    "full compare",
    "[sync]") {
  ServedEngine remote("?log_retention_count=2&maintenance_ms=3600000");
  auto* engine = dynamic_cast<Engine*>(&remote.store());
  REQUIRE(engine != nullptr);
  Device a = MakeDevice("a", remote.client());
  REQUIRE(a.sync->RunOnce().ok());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(remote.client()->Set(absl::StrCat("t:", i), "v").ok());
  }
  REQUIRE(remote.client()->Remove("t:0").ok());
  REQUIRE(engine->RunMaintenance().ok());
  REQUIRE(remote.client()->Changes(0, 10).status().code() ==
          absl::StatusCode::kOutOfRange);
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.full_compares == 1);
  CHECK(Contents(*a.local) == Contents(*remote.client()));
  // And the feed is followed again afterwards.
  REQUIRE(remote.client()->Set("t:after", "w").ok());
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.full_compares == 0);
  CHECK(a.local->Get("t:after")->value == "w");
}

TEST_CASE(
    "sync: three devices through one server, random partitions and "
    "server restarts",
    "[sync][random]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  Device b = MakeDevice("b", remote.client());
  Device c = MakeDevice("c", remote.client());
  RunPartitionWorkload(
      {&a, &b, &c}, *remote.client(), [&](bool up) { remote.SetUp(up); }, 400,
      42);
}

TEST_CASE("sync: scan mode (no feed) with partitions and lost acks",
          "[sync][random]") {
  ServedEngine remote;
  SyncOptions scan;
  scan.pull_mode = SyncOptions::PullMode::kScan;
  Device a = MakeDevice("a", remote.client(), scan);
  Device b = MakeDevice("b", remote.client(), scan);
  RunPartitionWorkload(
      {&a, &b}, *remote.client(),
      [&](bool up) {
        a.remote->cut = !up;
        b.remote->cut = !up;
      },
      300, 7);
}

}  // namespace
}  // namespace cask::synctest
