// Sync with Redis, PostgreSQL or etcd as the remote (a real server from
// tests/servers, URL in CASK_TEST_REDIS_URL / CASK_TEST_POSTGRES_URL /
// CASK_TEST_ETCD_URL; exit 77 when unset): Redis and PostgreSQL have no
// change feed, so pulls scan; etcd's pulls follow its native watch. The
// randomized workload with three devices and partitions (a test-only cut
// in front of the real server), and the overlay over the real server
// stopped is covered by overlay_outage_test against cask serve.
//
//   sync_remote_test redis|postgres|etcd [catch options]
#define CATCH_CONFIG_RUNNER
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "sync_harness.h"

namespace {

std::string remote_uri;

std::shared_ptr<cask::Driver> FreshRemote() {
  std::random_device rd;
  std::string tag = absl::StrCat(rd() % 1000000000);
  std::string uri = remote_uri;
  uri += uri.find('?') == std::string::npos ? "?" : "&";
  if (uri.rfind("redis", 0) == 0) {
    uri += absl::StrCat("prefix=synctest", tag, ":");
  } else if (uri.rfind("etcd", 0) == 0) {
    uri += absl::StrCat("prefix=synctest", tag, "/");
  } else {
    uri += absl::StrCat("table=synctest", tag);
  }
  auto store = cask::OpenStore(uri);
  REQUIRE(store.ok());
  return std::shared_ptr<cask::Driver>(*std::move(store));
}

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
  // Nothing changed: one feed read (etcd), else one Keys plus one GetMeta
  // per remote key.
  r = a.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->counts.remote_requests == (remote->capabilities().watch ? 1 : 2));
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

}  // namespace
}  // namespace cask::synctest

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s redis|postgres|etcd [catch options]\n",
                 argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  const char* env = std::getenv(kind == "redis"  ? "CASK_TEST_REDIS_URL"
                                : kind == "etcd" ? "CASK_TEST_ETCD_URL"
                                                 : "CASK_TEST_POSTGRES_URL");
  if (env == nullptr || *env == '\0') {
    std::fprintf(stderr,
                 "SKIPPED: the %s URL is not set (run under "
                 "tests/servers/with-servers.sh)\n",
                 kind.c_str());
    return 77;
  }
  remote_uri = env;
  argv[1] = argv[0];
  return Catch::Session().run(argc - 1, argv + 1);
}
