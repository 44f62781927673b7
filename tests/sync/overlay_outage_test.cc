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

}  // namespace
}  // namespace cask::synctest
