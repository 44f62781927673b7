// The redis adapter across a server outage, against a private redis-server
// this test starts, pauses, kills and restarts itself (append-only file
// with fsync always, so a restart keeps every acknowledged write):
//   - while the server is down every call is kUnavailable;
//   - a write whose reply never comes is kUnknown, never retried;
//   - after the restart the same store object works again and every
//     acknowledged write is there with its etag.
// Also: bad URIs are kInvalidArgument, and opening an unreachable server is
// kUnavailable. Exits 77 (skipped) when redis-server is not installed.
#define CATCH_CONFIG_RUNNER
#include <hiredis/hiredis.h>

#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "child_process.h"
#include "outage_checks.h"
#include "redis_store.h"

namespace cask {
namespace {

using testing::When;

std::string g_redis_server;

// A redis-server on a free port with its data in a temp dir.
class PrivateRedis {
 public:
  PrivateRedis() : port_(testing::FreePort()), dir_("cask-redis-outage") {
    process_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{g_redis_server, "--bind", "127.0.0.1",
                                 "--port", absl::StrCat(port_), "--dir",
                                 dir_.path(), "--save", "", "--appendonly",
                                 "yes", "--appendfsync", "always"},
        dir_.path() + "/log");
  }

  // Starts the server and waits until it answers PING.
  bool Start() {
    return process_->Start() &&
           testing::WaitUntil([&] { return Admin("PING") == "PONG"; });
  }
  void Kill() { process_->Kill(SIGKILL); }

  // Runs one command on a fresh admin connection; its status/string reply.
  std::string Admin(const std::string& command) {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    std::string out;
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, command.c_str()));
      if (r != nullptr) {
        if (r->str != nullptr) out.assign(r->str, r->len);
        freeReplyObject(r);
      }
    }
    if (c != nullptr) redisFree(c);
    return out;
  }

  std::string uri(const std::string& query = "") const {
    return absl::StrCat("redis://127.0.0.1:", port_,
                        "/0?prefix=outage:", query.empty() ? "" : "&", query);
  }

 private:
  int port_;
  testing::TempDir dir_;  // outlives the process: declared before it
  std::unique_ptr<testing::ChildProcess> process_;
};

TEST_CASE("redis: bad URIs are InvalidArgument", "[redis][uri]") {
  for (const char* uri :
       {"redis:", "redis://", "redis://h:1/x", "redis://h:1/0?prefix=",
        "redis://h:1/0?nope=1", "redis://h:1/0?timeout_ms=0",
        "redis://h:1/0?timeout_ms=abc", "http://h:1/0", "redis://h:99999"}) {
    INFO(uri);
    absl::StatusOr<std::unique_ptr<Driver>> s = OpenRedisStoreUri(uri);
    REQUIRE(s.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<RedisOptions> o =
      RedisOptions::FromUri("redis://u:p%40ss@10.0.0.1:7000/3?prefix=app:");
  REQUIRE(o.ok());
  CHECK(o->host == "10.0.0.1");
  CHECK(o->port == 7000);
  CHECK(o->db == 3);
  CHECK(o->user == "u");
  CHECK(o->password == "p@ss");
  CHECK(o->prefix == "app:");
}

TEST_CASE("redis: opening an unreachable server is Unavailable",
          "[redis][outage]") {
  absl::StatusOr<std::unique_ptr<Driver>> s = OpenRedisStoreUri(
      absl::StrCat("redis://127.0.0.1:", testing::FreePort(), "/0"));
  INFO(s.status().ToString());
  REQUIRE(s.status().code() == absl::StatusCode::kUnavailable);
}

// ("\\" cannot appear: it is a separator and normalises to ':'.)
TEST_CASE("redis: keys and clear with glob characters in keys",
          "[redis][keys]") {
  PrivateRedis server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenRedisStoreUri(server.uri());
  REQUIRE(opened.ok());
  Driver& store = **opened;
  for (const char* k : {"a*:x", "a*:y", "ab:x", "a?:x", "a[1]:x"}) {
    REQUIRE(store.Set(k, "v").ok());
  }
  using Keys = std::vector<std::string>;
  CHECK(*store.Keys("a*") == Keys{"a*:x", "a*:y"});
  CHECK(*store.Keys("a?") == Keys{"a?:x"});
  CHECK(*store.Keys("a[1]") == Keys{"a[1]:x"});
  REQUIRE(store.Clear("a*").ok());
  CHECK(*store.Keys() == Keys{"a?:x", "a[1]:x", "ab:x"});
}

// A replica skips its rescan while the write counter is unchanged, so a
// Clear that fails part way must never leave keys deleted with the counter
// where it was. The failure between a batch's deletes and its counter move
// is made deterministic by a user that may delete but may not INCR.
TEST_CASE("redis: a clear that fails part way never deletes unseen",
          "[redis][clear]") {
  PrivateRedis server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenRedisStoreUri(server.uri());
  REQUIRE(opened.ok());
  Driver& store = **opened;
  constexpr int kKeys = 600;  // more than two of Clear's batches
  for (int i = 0; i < kKeys; ++i) {
    REQUIRE(store.Set(absl::StrCat("k:", i), "v").ok());
  }
  absl::StatusOr<std::uint64_t> before = store.CurrentRevision();
  REQUIRE(before.ok());

  REQUIRE(server.Admin("ACL SETUSER cleaner on >pw ~* &* +@all -incr") == "OK");
  std::string uri = server.uri();
  uri.insert(uri.find("127.0.0.1"), "cleaner:pw@");
  absl::StatusOr<std::unique_ptr<Driver>> cleaner = OpenRedisStoreUri(uri);
  INFO(cleaner.status().ToString());
  REQUIRE(cleaner.ok());
  absl::Status cleared = (*cleaner)->Clear();
  INFO(cleared.ToString());
  CHECK_FALSE(cleared.ok());

  absl::StatusOr<std::vector<std::string>> left = store.Keys();
  absl::StatusOr<std::uint64_t> after = store.CurrentRevision();
  REQUIRE(left.ok());
  REQUIRE(after.ok());
  INFO(left->size() << " keys left, counter " << *before << " -> " << *after);
  CHECK((left->size() == kKeys || *after > *before));

  // The same clear by a user allowed to INCR removes everything and moves
  // the counter.
  REQUIRE(store.Clear().ok());
  CHECK(store.Keys()->empty());
  CHECK(*store.CurrentRevision() > *after);
}

TEST_CASE("redis: outage and restart lose no acknowledged write",
          "[redis][outage]") {
  PrivateRedis server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenRedisStoreUri(server.uri("timeout_ms=1000"));
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  Driver& store = **opened;

  std::map<std::string, std::string> acked = testing::WriteAcked(store);

  SECTION("a write whose reply never comes is Unknown") {
    // The server accepts the script but holds it: the reply cannot arrive
    // within the 1 s timeout. The store reconnects by itself afterwards.
    testing::CheckUnansweredWriteIsUnknown(
        store, acked,
        [&] { REQUIRE(server.Admin("CLIENT PAUSE 3000 WRITE") == "OK"); },
        [&] { REQUIRE(server.Admin("CLIENT UNPAUSE") == "OK"); });
  }

  SECTION("down: Unavailable everywhere; restarted: everything is back") {
    server.Kill();
    for (int round = 0; round < 2; ++round) {
      INFO("round " << round);
      testing::CheckAllUnavailable(store, acked);
    }
    REQUIRE(server.Start());
    testing::CheckAckedAfterRestart(store, acked);
  }
}

}  // namespace
}  // namespace cask

int main(int argc, char** argv) {
  cask::g_redis_server = cask::testing::FindProgram("redis-server");
  if (cask::g_redis_server.empty()) {
    std::fprintf(stderr,
                 "\n*** SKIPPED: redis_outage_test: redis-server is "
                 "not installed ***\n\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
