// The etcd adapter across a server outage, against a private etcd this
// test starts, freezes (SIGSTOP), kills and restarts itself on the same
// data directory:
//   - a write sent to a frozen server times out: kUnknown, never retried;
//   - a change-feed read from a frozen server times out: kUnavailable;
//   - while the server is down every call is kUnavailable;
//   - after the restart the same store object works again and every
//     acknowledged write is there with its etag.
// Also: bad URIs are kInvalidArgument, opening an unreachable server is
// kUnavailable, an item past its expiry whose lease etcd has not
// revoked yet is absent to reads and to every CAS path, and a fresh
// cluster's change feed answers empty. Exits 77 (skipped) when
// etcd is not installed.
#define CATCH_CONFIG_RUNNER
#include <curl/curl.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "child_process.h"
#include "etcd_store.h"
#include "outage_checks.h"

namespace cask {
namespace {

using testing::When;

std::string g_etcd;

// Sends the request set up on `c` to `path` on the etcd at `port`, without
// proxy, its reply body dropped, and frees `c`; whether the reply was 200.
bool Answers200(CURL* c, int port, const char* path) {
  std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t s, size_t n, void*) { return s * n; });
  bool ok = curl_easy_perform(c) == CURLE_OK;
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  return ok && code == 200;
}

bool Healthy(int port) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
  return Answers200(c, port, "/health");
}

// A single-member etcd on free ports with its data in a temp dir.
class PrivateEtcd {
 public:
  PrivateEtcd() : port_(testing::FreePort()), dir_("cask-etcd-outage") {
    int peer = testing::FreePort();
    std::string client = absl::StrCat("http://127.0.0.1:", port_);
    std::string peer_url = absl::StrCat("http://127.0.0.1:", peer);
    process_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{
            g_etcd, "--name", "outage", "--data-dir", dir_.path() + "/data",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls",
            peer_url, "--initial-cluster", "outage=" + peer_url},
        dir_.path() + "/log");
  }

  bool Start() {
    return process_->Start() &&
           testing::WaitUntil([&] { return Healthy(port_); });
  }
  void Kill() { process_->Kill(SIGKILL); }
  void Signal(int sig) { process_->Signal(sig); }
  int port() const { return port_; }

  std::string uri(const std::string& query = "") const {
    return absl::StrCat("etcd://127.0.0.1:", port_, "?prefix=outage/",
                        query.empty() ? "" : "&", query);
  }

 private:
  int port_;
  testing::TempDir dir_;  // outlives the process: declared before it
  std::unique_ptr<testing::ChildProcess> process_;
};

TEST_CASE("etcd: bad URIs are InvalidArgument", "[etcd][uri]") {
  for (const char* uri :
       {"etcd:", "etcd://", "etcd://h:1/path",
        "etcd://h:1?prefix=", "etcd://h:1?nope=1", "etcd://h:1?timeout_ms=0",
        "etcd://h:1?max_value_bytes=x", "etcd://u:p@h:1", "http://h:1",
        "etcd://h:99999"}) {
    INFO(uri);
    absl::StatusOr<std::unique_ptr<Driver>> s = OpenEtcdStoreUri(uri);
    REQUIRE(s.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<EtcdOptions> o =
      EtcdOptions::FromUri("etcd://10.0.0.1:2000?prefix=app%2F&timeout_ms=5");
  REQUIRE(o.ok());
  CHECK(o->host == "10.0.0.1");
  CHECK(o->port == 2000);
  CHECK(o->prefix == "app/");
  CHECK(o->timeout == absl::Milliseconds(5));
}

TEST_CASE("etcd: opening an unreachable server is Unavailable",
          "[etcd][outage]") {
  absl::StatusOr<std::unique_ptr<Driver>> s =
      OpenEtcdStoreUri(absl::StrCat("etcd://127.0.0.1:", testing::FreePort()));
  INFO(s.status().ToString());
  REQUIRE(s.status().code() == absl::StatusCode::kUnavailable);
}

// Writes `value` under the store's etcd key with a cask header whose expiry
// lies in the past and no lease: what the store sees between an item's
// expiry and etcd's revocation of its lease.
bool PutExpired(int port, const std::string& etcd_key,
                const std::string& value) {
  std::string raw(1, 'c');
  auto be64 = [&](std::int64_t v) {
    for (int i = 7; i >= 0; --i) raw.push_back(static_cast<char>(v >> (8 * i)));
  };
  std::int64_t now = absl::ToUnixMillis(absl::Now());
  be64(now - 10000);
  be64(now - 5000);
  raw += value;
  std::string body =
      absl::StrCat(R"({"key":")", absl::Base64Escape(etcd_key),
                   R"(","value":")", absl::Base64Escape(raw), R"("})");
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  return Answers200(c, port, "/v3/kv/put");
}

TEST_CASE("etcd: a fresh cluster's change feed is empty, not a hang",
          "[etcd][feed]") {
  // A new cluster is at revision 1 with no event at all: the feed must see
  // that nothing is there to wait for (it once waited for revision 1's
  // event forever). The watch's own reply is the only thing awaited.
  PrivateEtcd server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenEtcdStoreUri(server.uri());
  REQUIRE(opened.ok());
  absl::StatusOr<std::vector<ChangeEvent>> changes = (*opened)->Changes(0, 10);
  REQUIRE(changes.ok());
  CHECK(changes->empty());
  REQUIRE((*opened)->Set("k", "v").ok());
  changes = (*opened)->Changes(0, 10);
  REQUIRE(changes.ok());
  REQUIRE(changes->size() == 1);
  CHECK((*changes)[0].key == "k");
}

TEST_CASE("etcd: an expired item not yet revoked is absent, also to CAS",
          "[etcd][ttl]") {
  PrivateEtcd server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenEtcdStoreUri(server.uri());
  REQUIRE(opened.ok());
  Driver& store = **opened;
  for (const char* k : {"e1", "e2", "e3"}) {
    REQUIRE(PutExpired(server.port(), absl::StrCat("outage/", k), "old"));
  }
  CHECK(store.Get("e1").status().code() == absl::StatusCode::kNotFound);
  CHECK(store.GetMeta("e1").status().code() == absl::StatusCode::kNotFound);
  // create-only: its create_revision compare fails on the stale key; the
  // failure branch's read shows it expired, so the txn is re-pinned on it.
  absl::StatusOr<std::string> created =
      store.Set("e1", "new", When(Precondition::CreateOnly()));
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  REQUIRE(store.Get("e1")->value == "new");
  REQUIRE(store.Get("e1")->meta.etag == *created);
  // The read-then-txn path treats it as absent too.
  absl::StatusOr<std::string> other =
      store.Set("e2", "new", When(Precondition{{}, {{"1", "2"}}}));
  INFO(other.status().ToString());
  REQUIRE(other.ok());
  absl::Status must_exist = store.Remove("e3", Precondition::MustExist());
  REQUIRE(must_exist.code() == absl::StatusCode::kAborted);
  REQUIRE_FALSE(CurrentEtag(must_exist).has_value());
  Batch batch;
  batch.Put("e3", "new", When(Precondition::CreateOnly()))
      .Verify("e1", Precondition::IfMatch(*created));
  absl::StatusOr<CommitResult> committed = store.Commit(batch);
  INFO(committed.status().ToString());
  REQUIRE(committed.ok());
  REQUIRE(store.Get("e3")->value == "new");
}

TEST_CASE("etcd: outage and restart lose no acknowledged write",
          "[etcd][outage]") {
  PrivateEtcd server;
  REQUIRE(server.Start());
  absl::StatusOr<std::unique_ptr<Driver>> opened =
      OpenEtcdStoreUri(server.uri("timeout_ms=1000"));
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  Driver& store = **opened;

  std::map<std::string, std::string> acked = testing::WriteAcked(store);

  SECTION("a write sent to a frozen server is Unknown") {
    testing::CheckUnansweredWriteIsUnknown(
        store, acked, [&] { server.Signal(SIGSTOP); },
        [&] { server.Signal(SIGCONT); });
  }

  SECTION("a change-feed read from a frozen server is Unavailable") {
    // A read applies nothing: past the store's timeout the answer is
    // kUnavailable, never a wait without end.
    server.Signal(SIGSTOP);
    absl::StatusOr<std::vector<ChangeEvent>> changes = store.Changes(0, 10);
    server.Signal(SIGCONT);
    INFO(changes.status().ToString());
    CHECK(changes.status().code() == absl::StatusCode::kUnavailable);
  }

  SECTION("down: Unavailable everywhere; restarted: everything is back") {
    server.Kill();
    for (int round = 0; round < 2; ++round) {
      INFO("round " << round);
      testing::CheckAllUnavailable(store, acked);
      // etcd's own paths: an etag list (read, then txn) and a lease.
      CHECK(store.Set("k:1", "x", When(Precondition{{{"1", "2"}}, {}}))
                .status()
                .code() == absl::StatusCode::kUnavailable);
      WriteOptions ttl;
      ttl.ttl = absl::Seconds(5);
      CHECK(store.Set("t", "x", ttl).status().code() ==
            absl::StatusCode::kUnavailable);
    }
    REQUIRE(server.Start());
    testing::CheckAckedAfterRestart(store, acked);
  }
}

}  // namespace
}  // namespace cask

int main(int argc, char** argv) {
  cask::g_etcd = cask::testing::FindProgram("etcd");
  if (cask::g_etcd.empty()) {
    std::fprintf(
        stderr,
        "\n*** SKIPPED: etcd_outage_test: etcd is not installed ***\n\n");
    return 77;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return Catch::Session().run(argc, argv);
}
