// The overlay store as "a local engine in front of a remote": a key the top
// layer holds is answered by it alone, so a lower layer that is down (a real
// cask serve, stopped) degrades only the keys that need it.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "cask/overlay.h"
#include "catch2/catch.hpp"
#include "http_store.h"
#include "served_engine.h"
#include "server.h"
#include "sync_harness.h"

namespace cask::synctest {
namespace {

TEST_CASE("overlay: top-layer keys work while the lower store is down",
          "[overlay]") {
  TempDir dir;
  auto top = Engine::Open(dir.path() + "/local");
  REQUIRE(top.ok());
  auto lower_store = Engine::Open(dir.path() + "/remote");
  REQUIRE(lower_store.ok());
  server::ServerOptions options;
  options.port = 0;
  options.io_threads = 2;
  options.keep_alive_seconds = 1;
  auto server = server::Server::Start(
      std::shared_ptr<Driver>(*std::move(lower_store)), options);
  REQUIRE(server.ok());
  auto lower = OpenHttpStoreUri((*server)->url() + "?connect_timeout_ms=2000");
  REQUIRE(lower.ok());
  std::shared_ptr<Driver> remote(*std::move(lower));
  REQUIRE(remote->Set("remote:only", "r").ok());
  REQUIRE(remote->Set("notes:2", "lower-copy").ok());
  auto overlay =
      CreateOverlayStore({std::shared_ptr<Driver>(*std::move(top)), remote});
  REQUIRE(overlay.ok());
  Driver& store = **overlay;
  std::string etag = *store.Set("notes:1", "hello");
  REQUIRE(store.Set("notes:2", "top-copy").ok());

  (*server)->Shutdown();
  (*server)->Wait();
  server->reset();

  // Keys the top layer holds: reads, CAS writes and removes all succeed.
  auto got = store.Get("notes:1");
  INFO(got.status());
  REQUIRE(got.ok());
  CHECK(got->value == "hello");
  CHECK(store.GetMeta("notes:1")->etag == etag);
  CHECK(*store.Has("notes:1"));
  auto next = store.Set("notes:1", "edited", {Precondition::IfMatch(etag)});
  REQUIRE(next.ok());
  CHECK(store.Get("notes:1")->value == "edited");
  REQUIRE(store.Set("notes:3", "new").ok());
  CHECK(store.Get("notes:3")->value == "new");
  // notes:2 might still exist below: the remove hides it with a tombstone.
  REQUIRE(store.Remove("notes:2").ok());
  CHECK(store.Get("notes:2").status().code() == absl::StatusCode::kNotFound);
  // Only keys that need the lower layer fail, and say why.
  CHECK(store.Get("remote:only").status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE(
    "overlay as a sync pair: a remove through the overlay is pushed as a "
    "remove, never as the tombstone's bytes",
    "[overlay][sync]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  Device b = MakeDevice("b", remote.client());
  auto overlay = CreateOverlayStore({a.local, remote.client()});
  REQUIRE(overlay.ok());
  Driver& store = **overlay;
  REQUIRE(store.Set("notes:1", "hello").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(b.sync->RunOnce().ok());
  REQUIRE(b.local->Get("notes:1")->value == "hello");

  // The remote (the lower layer) holds notes:1, so the overlay hides it
  // with a tombstone in the local engine.
  REQUIRE(store.Remove("notes:1").ok());
  auto r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 1);
  CHECK(r->unresolved_conflicts == 0);
  CHECK(remote.client()->Get("notes:1").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(store.Get("notes:1").status().code() == absl::StatusCode::kNotFound);
  REQUIRE(b.sync->RunOnce().ok());
  CHECK(b.local->Get("notes:1").status().code() == absl::StatusCode::kNotFound);
  // Another round has nothing to push: the tombstone is synced as absent.
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 0);

  // A later value from another device replaces the tombstone.
  REQUIRE(b.local->Set("notes:1", "again").ok());
  REQUIRE(b.sync->RunOnce().ok());
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 1);
  CHECK(r->unresolved_conflicts == 0);
  CHECK(store.Get("notes:1")->value == "again");
}

}  // namespace
}  // namespace cask::synctest
