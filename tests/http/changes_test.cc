// The change feed through the http adapter: cask serve with the engine
// behind it, Changes and Watch over POST /_cask/changes (long-poll), and
// 410 -> kOutOfRange once the log was trimmed below the asked revision.
#define CATCH_CONFIG_MAIN
#include <stdlib.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "http_store.h"
#include "read_only_test_store.h"
#include "server.h"

namespace {

struct Served {
  std::unique_ptr<cask::server::Server> server;
  std::unique_ptr<cask::Driver> client;
};

Served Serve(const std::string& params) {
  char tmpl[] = "/tmp/cask-http-changes.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  auto engine = cask::OpenStore(absl::StrCat("cask://", tmpl, "/db", params));
  REQUIRE(engine.ok());
  cask::server::ServerOptions options;
  options.port = 0;
  options.store_threads = 8;
  auto server = cask::server::Server::Start(
      std::shared_ptr<cask::Driver>(*std::move(engine)), options);
  REQUIRE(server.ok());
  auto client = cask::OpenHttpStoreUri((*server)->url());
  REQUIRE(client.ok());
  return Served{*std::move(server), *std::move(client)};
}

TEST_CASE("changes: every write in revision order", "[changes]") {
  Served s = Serve("");
  REQUIRE(s.client->capabilities().watch);
  std::string e1 = *s.client->Set("c:a", "1");
  std::string e2 = *s.client->Set("c:b", "22");
  REQUIRE(s.client->Remove("c:a").ok());
  auto events = s.client->Changes(0, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  REQUIRE((*events)[0].key == "c:a");
  REQUIRE((*events)[0].kind == cask::ChangeKind::kPut);
  REQUIRE((*events)[0].etag == e1);
  REQUIRE((*events)[1].key == "c:b");
  REQUIRE((*events)[1].size == 2);
  REQUIRE((*events)[2].kind == cask::ChangeKind::kDelete);
  REQUIRE((*events)[0].revision < (*events)[1].revision);
  REQUIRE((*events)[1].revision < (*events)[2].revision);
  auto after = s.client->Changes((*events)[2].revision, 100);
  REQUIRE(after.ok());
  REQUIRE(after->empty());
  auto limited = s.client->Changes(0, 2);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 2);
}

TEST_CASE("watch: events under the base arrive through long-poll",
          "[changes]") {
  Served s = Serve("");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  auto sub = s.client->Watch("w", 0, [&](const cask::ChangeEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e.key);
    cv.notify_all();
  });
  REQUIRE(sub.ok());
  REQUIRE(s.client->Set("other", "x").ok());
  REQUIRE(s.client->Set("w:1", "x").ok());
  REQUIRE(s.client->Set("w:2", "x").ok());
  std::unique_lock<std::mutex> lock(mu);
  // Generous: a correctness wait, not a timing assertion.
  cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen.size() >= 2; });
  REQUIRE(seen == std::vector<std::string>{"w:1", "w:2"});
}

TEST_CASE("changes below the log's retention are OutOfRange (HTTP 410)",
          "[changes]") {
  Served s = Serve("?log_retention_count=3");
  for (int i = 0; i < 50; ++i) {
    REQUIRE(s.client->Set(absl::StrCat("r:", i), "v").ok());
  }
  auto events = s.client->Changes(0, 100);
  if (events.ok()) {
    // The engine trims lazily; only a trimmed log can answer 410.
    WARN("engine kept " << events->size() << " events; 410 not exercised");
    return;
  }
  REQUIRE(events.status().code() == absl::StatusCode::kOutOfRange);
}

// A store whose log was trimmed up to revision 10 (test double).
class TrimmedLogStore final : public cask::testing::ReadOnlyTestStore {
 public:
  std::string_view name() const override { return "trimmed-log"; }
  cask::Capabilities capabilities() const override {
    cask::Capabilities caps;
    caps.watch = true;
    return caps;
  }

 protected:
  absl::StatusOr<std::vector<cask::ChangeEvent>> DoChanges(
      std::uint64_t after, std::size_t) override {
    if (after < 10) {
      return absl::OutOfRangeError("log trimmed: oldest revision is 11");
    }
    return std::vector<cask::ChangeEvent>{};
  }
};

TEST_CASE("a trimmed log answers 410, read back as OutOfRange", "[changes]") {
  cask::server::ServerOptions options;
  options.port = 0;
  options.store_threads = 2;
  auto server =
      cask::server::Server::Start(std::make_shared<TrimmedLogStore>(), options);
  REQUIRE(server.ok());
  auto client = cask::OpenHttpStoreUri((*server)->url());
  REQUIRE(client.ok());
  auto events = (*client)->Changes(3, 10);
  REQUIRE(events.status().code() == absl::StatusCode::kOutOfRange);
  REQUIRE((*client)->Changes(10, 10).ok());
  auto sub = (*client)->Watch("", 0, [](const cask::ChangeEvent&) {});
  REQUIRE(sub.status().code() == absl::StatusCode::kOutOfRange);
}

}  // namespace
