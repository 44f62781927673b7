// Sync with Redis, PostgreSQL or etcd as the remote (a real server from
// tests/servers, URL in CASK_TEST_REDIS_URL / CASK_TEST_POSTGRES_URL /
// CASK_TEST_ETCD_URL; exit 77 when unset): Redis and PostgreSQL have no
// change feed, so pulls scan; etcd's pulls follow its native watch, also
// across a compaction of its history. The randomized workload with three
// devices runs twice: with partitions cut in front of the server (with lost
// acknowledgements), and with the real server stopped and restarted (a
// private redis-server; the shared PostgreSQL through its tests/servers
// script).
//
//   sync_remote_test redis|postgres|etcd [catch options]
#define CATCH_CONFIG_RUNNER
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "child_process.h"
#include "etcd_compaction.h"
#include "outage_checks.h"
#include "sync_harness.h"

namespace {

std::string remote_uri;

std::shared_ptr<cask::Driver> FreshRemote() {
  std::string uri = cask::synctest::FreshRemoteUri(remote_uri);
  auto store = cask::OpenStore(uri);
  REQUIRE(store.ok());
  return std::shared_ptr<cask::Driver>(*std::move(store));
}

// Takes the real server down and up: a private redis-server this test
// starts and kills (append-only, fsync always: acknowledged writes
// survive), or the shared PostgreSQL stopped and started by its
// tests/servers script (ctest's RESOURCE_LOCK keeps other suites away).
class RealOutage {
 public:
  static std::unique_ptr<RealOutage> For(const std::string& uri) {
    auto o = std::unique_ptr<RealOutage>(new RealOutage());
    if (uri.rfind("redis", 0) == 0) {
      std::string server = cask::testing::FindProgram("redis-server");
      if (server.empty()) {
        WARN("redis-server not installed: the real outage is not tested");
        return nullptr;
      }
      o->dir_ = std::make_unique<cask::testing::TempDir>("cask-sync-redis");
      int port = cask::testing::FreePort();
      o->redis_ = std::make_unique<cask::testing::ChildProcess>(
          std::vector<std::string>{server, "--bind", "127.0.0.1", "--port",
                                   absl::StrCat(port), "--dir", o->dir_->path(),
                                   "--save", "", "--appendonly", "yes",
                                   "--appendfsync", "always"},
          o->dir_->path() + "/log");
      REQUIRE(o->redis_->Start());
      o->uri_ =
          absl::StrCat("redis://127.0.0.1:", port, "/0?prefix=syncoutage:");
    } else if (uri.rfind("postgres", 0) == 0) {
      const char* ctl = std::getenv("CASK_TEST_POSTGRES_CTL");
      const char* dir = std::getenv("CASK_TEST_POSTGRES_DIR");
      if (ctl == nullptr || dir == nullptr) {
        WARN("no CASK_TEST_POSTGRES_CTL: the real outage is not tested");
        return nullptr;
      }
      o->pg_ctl_ = ctl;
      o->pg_dir_ = dir;
      std::random_device rd;
      o->uri_ =
          absl::StrCat(uri, uri.find('?') == std::string::npos ? "?" : "&",
                       "table=syncoutage", rd() % 1000000000);
    } else {
      return nullptr;
    }
    // The store opens once the server answers.
    REQUIRE(cask::testing::WaitUntil([&] {
      auto store = cask::OpenStore(o->uri_);
      if (!store.ok()) return false;
      o->remote_ = std::shared_ptr<cask::Driver>(*std::move(store));
      return true;
    }));
    return o;
  }
  ~RealOutage() {
    if (!pg_ctl_.empty() && !up_) Ctl("resume");
  }

  std::shared_ptr<cask::Driver> remote() { return remote_; }

  // Stops or starts the server; once up, waits until `store` answers
  // again (its connection reopens by itself).
  void SetUp(bool up, cask::Driver& store) {
    if (redis_) {
      if (up) {
        REQUIRE(redis_->Start());
      } else {
        redis_->Kill(SIGKILL);
      }
    } else {
      Ctl(up ? "resume" : "pause");
    }
    up_ = up;
    if (up) {
      REQUIRE(cask::testing::WaitUntil([&] { return store.Keys("").ok(); }));
    }
  }

 private:
  RealOutage() = default;
  void Ctl(const char* verb) {
    std::string cmd = absl::StrCat(pg_ctl_, " ", verb, " '", pg_dir_, "'");
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
  }

  std::unique_ptr<cask::testing::TempDir> dir_;
  std::unique_ptr<cask::testing::ChildProcess> redis_;
  std::string pg_ctl_, pg_dir_;
  std::string uri_;
  bool up_ = true;
  std::shared_ptr<cask::Driver> remote_;
};

}  // namespace

namespace cask::synctest {
namespace {

TEST_CASE("sync with a scan-only remote: push, pull, conflict", "[sync]") {
  auto remote = FreshRemote();
  Device a = MakeDevice("a", remote);
  Device b = MakeDevice("b", remote);
  REQUIRE(a.local->Set("doc", "v1").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(b.sync->RunOnce().ok());
  CHECK(b.local->Get("doc")->value == "v1");
  REQUIRE(a.local->Set("doc", "from-a").ok());
  REQUIRE(b.local->Set("doc", "from-b").ok());
  REQUIRE(a.sync->RunOnce().ok());
  auto r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->unresolved_conflicts == 1);
  CHECK(b.local->Get("doc")->value == "from-b");
  CHECK(remote->Get("doc")->value == "from-a");
  REQUIRE(b.sync->Resolve("doc", Resolution::kKeepLocal).ok());
  Quiesce({&a, &b});
  CHECK(a.local->Get("doc")->value == "from-b");
  // Nothing changed: one request. etcd: one feed read; Redis: its write
  // counter, unchanged since the last scan; PostgreSQL: one scan page.
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.remote_requests == 1);
  CHECK(r->counts.pulled == 0);
}

TEST_CASE("sync with a scan-only remote: a remote write after an idle round",
          "[sync]") {
  // Redis: the write counter moves, so the round scans again; and a device
  // whose own pushes are the only writes does not rescan.
  auto remote = FreshRemote();
  Device a = MakeDevice("a", remote);
  Device b = MakeDevice("b", remote);
  REQUIRE(a.local->Set("k", "1").ok());
  Quiesce({&a, &b});
  REQUIRE(remote->Set("k", "direct").ok());
  REQUIRE(remote->Remove("gone").ok());
  auto r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 1);
  CHECK(b.local->Get("k")->value == "direct");
  // A remove alone moves Redis's counter too: b sees it.
  REQUIRE(a.local->Set("r", "1").ok());
  Quiesce({&a, &b});
  REQUIRE(remote->Remove("r").ok());
  r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 1);
  CHECK(!b.local->Has("r").value());
  REQUIRE(remote->Set("extra", "x").ok());
  REQUIRE(remote->Remove("extra").ok());
  r = b.sync->RunOnce();  // a put and a remove: nothing to pull, but seen
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 0);
  REQUIRE(b.local->Set("k", "mine").ok());
  r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.pushed == 1);
  if (!remote->capabilities().watch) {  // a feed shows b its own push
    r = b.sync->RunOnce();
    REQUIRE(r.ok());
    CHECK(r->counts.remote_requests == 1);
  }
  r = a.sync->RunOnce();  // k and r's removal
  REQUIRE(r.ok());
  CHECK(r->counts.pulled == 2);
  CHECK(a.local->Get("k")->value == "mine");
  CHECK(!a.local->Has("r").value());
}

TEST_CASE(
    "sync with a scan-only remote: three devices, partitions, lost "
    "acknowledgements",
    "[sync][random]") {
  auto remote = FreshRemote();
  Device a = MakeDevice("a", remote);
  Device b = MakeDevice("b", remote);
  Device c = MakeDevice("c", remote);
  std::mt19937_64 rng(99);
  RunPartitionWorkload(
      {&a, &b, &c}, *remote,
      [&](bool up) {
        for (Device* d : {&a, &b, &c}) {
          d->remote->cut = !up;
          d->remote->lose_acks = up && rng() % 2 == 0;
        }
      },
      300, 11);
}

TEST_CASE(
    "sync with etcd: history compacted past the pull checkpoint falls back "
    "to a full compare and loses nothing",
    "[sync][etcd]") {
  if (remote_uri.rfind("etcd", 0) != 0) return;  // etcd only
  auto remote = FreshRemote();
  Device a = MakeDevice("a", remote);
  Device b = MakeDevice("b", remote);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(a.local->Set(absl::StrCat("k:", i), "v1").ok());
  }
  Quiesce({&a, &b});
  // While b is away: a changes, removes and adds keys; the remote is
  // written directly; b edits k:1 (also changed by a: a conflict) and k:3
  // (changed nowhere else: pushed).
  REQUIRE(a.local->Set("k:1", "a2").ok());
  REQUIRE(a.local->Remove("k:2").ok());
  REQUIRE(a.local->Set("k:5", "new").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(remote->Set("k:4", "direct").ok());
  REQUIRE(b.local->Set("k:1", "b2").ok());
  REQUIRE(b.local->Set("k:3", "b2").ok());
  auto now = remote->CurrentRevision();
  REQUIRE(now.ok());
  cask::testing::CompactEtcd(remote_uri, *now);

  auto r = b.sync->RunOnce();
  INFO(r.status());
  REQUIRE(r.ok());
  CHECK(r->counts.full_compares == 1);
  CHECK(r->unresolved_conflicts == 1);
  CHECK(b.local->Get("k:1")->value == "b2");
  CHECK(!b.local->Has("k:2").value());
  CHECK(b.local->Get("k:4")->value == "direct");
  CHECK(b.local->Get("k:5")->value == "new");
  CHECK(remote->Get("k:3")->value == "b2");
  CHECK(remote->Get("k:1")->value == "a2");
  // Then the feed is followed again.
  REQUIRE(a.local->Set("k:6", "after").ok());
  REQUIRE(a.sync->RunOnce().ok());
  r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.full_compares == 0);
  CHECK(b.local->Get("k:6")->value == "after");
  Quiesce({&a, &b});
  CHECK(CheckConvergedExceptConflicts({&a, &b}, *remote) == 1);
  ResolveAllAndConverge({&a, &b}, *remote);
}

TEST_CASE(
    "sync with a scan-only remote: three devices, the real server stopped "
    "and restarted",
    "[sync][random][outage]") {
  std::unique_ptr<RealOutage> outage = RealOutage::For(remote_uri);
  if (!outage) return;  // etcd: covered by the cut above
  auto remote = outage->remote();
  Device a = MakeDevice("a", remote);
  Device b = MakeDevice("b", remote);
  Device c = MakeDevice("c", remote);
  int stops = 0;
  RunPartitionWorkload(
      {&a, &b, &c}, *remote,
      [&](bool up) {
        stops += up ? 0 : 1;
        outage->SetUp(up, *remote);
      },
      120, 23);
  CHECK(stops > 0);
}

}  // namespace
}  // namespace cask::synctest

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s redis|postgres|etcd [catch options]\n",
                 argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  remote_uri = cask::synctest::RemoteServerUrl(kind);
  if (remote_uri.empty()) {
    std::fprintf(stderr,
                 "SKIPPED: the %s URL is not set (run under "
                 "tests/servers/with-servers.sh)\n",
                 kind.c_str());
    return 77;
  }
  argv[1] = argv[0];
  return Catch::Session().run(argc - 1, argv + 1);
}
