// Failure behaviour of a SQL server adapter against its real server (one
// source, built per adapter like server_main.cc): bad URIs, a refused
// connection, a connection killed by the server, and the server stopped
// and restarted mid-run. The server is driven through the verbs of its
// tests/servers script, named by CASK_SERVER_CTL_ENV / CASK_SERVER_DIR_ENV:
// `pause` (stop, keeping data), `resume` (start again), `kill-clients`
// (the server drops every other connection).
//
// Exit code 77 (skipped) when the server or its control is missing.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include CASK_STORE_HEADER

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string TableUrl(const std::string& table) {
  std::string base = Env(CASK_SERVER_ENV);
  return absl::StrCat(base, base.find('?') == std::string::npos ? "?" : "&",
                      "table=", table);
}

std::string FreshTable() {
  static int n = 0;
  std::random_device rd;
  return absl::StrFormat("outage%x_%x_%d", static_cast<unsigned>(getpid()),
                         rd() & 0xffffff, ++n);
}

void Ctl(const char* verb) {
  const std::string cmd = absl::StrCat(Env(CASK_SERVER_CTL_ENV), " ", verb,
                                       " '", Env(CASK_SERVER_DIR_ENV), "'");
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

std::unique_ptr<cask::Driver> MustOpen(const std::string& url) {
  auto store = CASK_OPEN_STORE(url);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

cask::WriteOptions When(cask::Precondition p) {
  cask::WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

bool SaysUnknown(const absl::Status& s) {
  return std::string(s.message()).find("unknown") != std::string::npos;
}

#define REQUIRE_CODE(expr, expected)  \
  do {                                \
    const absl::Status _s = (expr);   \
    INFO(_s.ToString());              \
    REQUIRE(_s.code() == (expected)); \
  } while (0)

TEST_CASE("bad URIs are InvalidArgument") {
  const std::string s = CASK_STORE_SCHEME;
  for (const std::string& bad :
       {s + "://127.0.0.1:99999/db", s + "://127.0.0.1/db?table=Bad-Name",
        s + "://127.0.0.1/db?table=", s + ":no-authority",
        s + "://127.0.0.1/db/extra", s + "://127.0.0.1/db?connect_timeout=x",
        std::string("other://127.0.0.1/db"), s + "://127.0.0.1/%zz"}) {
    INFO(bad);
    REQUIRE_CODE(CASK_OPEN_STORE(bad).status(),
                 absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("connection refused is Unavailable") {
  REQUIRE_CODE(
      CASK_OPEN_STORE(absl::StrCat(CASK_STORE_SCHEME,
                                   "://root@127.0.0.1:1/db?connect_timeout=2"))
          .status(),
      absl::StatusCode::kUnavailable);
}

TEST_CASE("a killed connection: read Unavailable, write Unknown, then back") {
  auto store = MustOpen(TableUrl(FreshTable()));
  std::string etag = *store->Set("k", "v1");
  Ctl("kill-clients");
  // A read on the dead connection: nothing was applied.
  REQUIRE_CODE(store->Get("k").status(), absl::StatusCode::kUnavailable);
  // The next call reconnects.
  REQUIRE(store->Get("k")->value == "v1");
  // A swap on the new connection (a client may prepare statements on first
  // use; a failure then is kUnavailable, as nothing ran).
  absl::StatusOr<std::string> swapped =
      store->Set("k", "v1", When(cask::Precondition::IfMatch(etag)));
  REQUIRE(swapped.ok());
  etag = *swapped;
  Ctl("kill-clients");
  absl::Status lost =
      store->Set("k", "v2", When(cask::Precondition::IfMatch(etag))).status();
  REQUIRE_CODE(lost, absl::StatusCode::kUnknown);
  REQUIRE(SaysUnknown(lost));
  // Re-read, as the message says: either outcome is consistent.
  absl::StatusOr<cask::Item> after = store->Get("k");
  REQUIRE(after.ok());
  if (after->value == "v1") {
    REQUIRE(after->meta.etag == etag);
  } else {
    REQUIRE(after->value == "v2");
    REQUIRE(after->meta.etag != etag);
  }
  // A commit whose connection dies before COMMIT is rolled back: Unavailable.
  Ctl("kill-clients");
  cask::Batch batch;
  batch.Put("k", "v3", When(cask::Precondition::IfMatch(after->meta.etag)))
      .Put("other", "x");
  REQUIRE_CODE(store->Commit(batch).status(), absl::StatusCode::kUnavailable);
  REQUIRE(store->Get("k")->value == after->value);
  REQUIRE_FALSE(*store->Has("other"));
}

TEST_CASE(
    "server stopped mid-run: Unavailable/Unknown, then works, nothing "
    "acknowledged lost") {
  const std::string table = FreshTable();
  auto a = MustOpen(TableUrl(table));
  auto b = MustOpen(TableUrl(table));
  std::map<std::string, std::pair<std::string, std::string>> acked;
  for (int i = 0; i < 20; ++i) {
    std::string key = absl::StrCat("k", i), value = absl::StrCat("v", i);
    absl::StatusOr<std::string> etag =
        (i % 2 ? a : b)
            ->Set(key, value, When(cask::Precondition::CreateOnly()));
    REQUIRE(etag.ok());
    acked[key] = {value, *etag};
  }
  std::string counter_etag = *a->Set("counter", "0");
  for (int i = 1; i <= 5; ++i) {
    absl::StatusOr<std::string> e =
        a->Set("counter", absl::StrCat(i),
               When(cask::Precondition::IfMatch(counter_etag)));
    REQUIRE(e.ok());
    counter_etag = *e;
  }
  acked["counter"] = {"5", counter_etag};

  Ctl("pause");
  // b's first call is a write on a connection the server closed: the
  // adapter cannot know whether it was applied, or knows it was not.
  absl::Status first = b->Set("during", "x").status();
  INFO(first.ToString());
  REQUIRE((first.code() == absl::StatusCode::kUnknown ||
           first.code() == absl::StatusCode::kUnavailable));
  if (first.code() == absl::StatusCode::kUnknown) REQUIRE(SaysUnknown(first));
  // a's first call is a read: nothing applied.
  REQUIRE_CODE(a->Get("k1").status(), absl::StatusCode::kUnavailable);
  // From now on the server refuses connections: nothing is sent.
  REQUIRE_CODE(a->Get("k1").status(), absl::StatusCode::kUnavailable);
  REQUIRE_CODE(
      a->Set("counter", "6", When(cask::Precondition::IfMatch(counter_etag)))
          .status(),
      absl::StatusCode::kUnavailable);
  REQUIRE_CODE(
      a->Set("new", "x", When(cask::Precondition::CreateOnly())).status(),
      absl::StatusCode::kUnavailable);
  REQUIRE_CODE(a->Remove("k2"), absl::StatusCode::kUnavailable);
  REQUIRE_CODE(a->Keys().status(), absl::StatusCode::kUnavailable);
  cask::Batch batch;
  batch.Put("k3", "changed").Delete("k4");
  REQUIRE_CODE(a->Commit(batch).status(), absl::StatusCode::kUnavailable);
  REQUIRE_CODE(CASK_OPEN_STORE(TableUrl(table)).status(),
               absl::StatusCode::kUnavailable);
  Ctl("resume");

  // Both clients reconnect; every acknowledged write is there, unchanged.
  for (cask::Driver* d : {a.get(), b.get()}) {
    for (const auto& [key, ve] : acked) {
      absl::StatusOr<cask::Item> item = d->Get(key);
      INFO(key << ": " << item.status().ToString());
      REQUIRE(item.ok());
      REQUIRE(item->value == ve.first);
      REQUIRE(item->meta.etag == ve.second);
    }
  }
  // The swap refused during the outage now succeeds with the same etag.
  REQUIRE(
      a->Set("counter", "6", When(cask::Precondition::IfMatch(counter_etag)))
          .ok());
  REQUIRE(b->Get("counter")->value == "6");
  // A new client works too.
  auto c = MustOpen(TableUrl(table));
  REQUIRE(c->Keys()->size() >= 21);
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* env :
       {CASK_SERVER_ENV, CASK_SERVER_CTL_ENV, CASK_SERVER_DIR_ENV}) {
    if (Env(env).empty()) {
      std::printf(
          "SKIPPED %s outage test: %s is not set (run under "
          "tests/servers/with-servers.sh)\n",
          CASK_STORE_NAME, env);
      std::fprintf(stderr, "\n*** SKIPPED: %s outage test: %s not set ***\n\n",
                   CASK_STORE_NAME, env);
      return 77;
    }
  }
  if (absl::Status probe = CASK_OPEN_STORE(TableUrl("cask_probe")).status();
      probe.code() == absl::StatusCode::kUnavailable) {
    std::printf("SKIPPED %s outage test: server unreachable: %s\n",
                CASK_STORE_NAME, probe.ToString().c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
