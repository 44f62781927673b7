// Capability negotiation of the http adapter: it sends a
// precondition only to a server that advertises CAS.
//
// Against unstorage's own node server (CASK_TEST_UNSTORAGE_URL, started by
// negotiation_test.sh): plain get / set / keys / remove work; every
// precondition, batch and ttl is kUnimplemented and the server never
// receives the request (its per-method request counter does not move).
// Against cask serve (in this process): the same calls are honoured.
#define CATCH_CONFIG_RUNNER
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "cask/open.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "http_store.h"
#include "nlohmann/json.hpp"
#include "server.h"

namespace {

std::string& UnstorageUrl() {
  static auto* url = new std::string;
  return *url;
}

std::unique_ptr<cask::Driver> Client(const std::string& url) {
  absl::StatusOr<std::unique_ptr<cask::Driver>> d = cask::OpenHttpStoreUri(url);
  REQUIRE(d.ok());
  return *std::move(d);
}

// Requests of `method` that reached unstorage's handler so far.
int Count(const std::string& method) {
  std::string cmd = "curl -sf " + UnstorageUrl() + "/__cask_test_count";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  REQUIRE(j.is_object());
  return j.value(method, 0);
}

cask::WriteOptions When(cask::Precondition p) {
  cask::WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

TEST_CASE("unstorage server: plain calls work, CAS is refused before sending",
          "[negotiation]") {
  auto store = Client(UnstorageUrl());
  REQUIRE(store->Set("n:a", "v1").ok());
  absl::StatusOr<cask::Item> item = store->Get("n:a");
  REQUIRE(item.ok());
  REQUIRE(item->value == "v1");
  REQUIRE(*store->Has("n:a"));
  REQUIRE(*store->Keys("n") == std::vector<std::string>{"n:a"});

  // The adapter learned from its probe that this server has no CAS.
  REQUIRE_FALSE(store->capabilities().cas);
  int puts = Count("PUT");
  int deletes = Count("DELETE");
  int posts = Count("POST");

  absl::StatusOr<std::string> s =
      store->Set("n:a", "overwritten", When(cask::Precondition::CreateOnly()));
  REQUIRE(s.status().code() == absl::StatusCode::kUnimplemented);
  REQUIRE(cask::IsCasUnsupported(s.status()));
  s = store->Set("n:a", "overwritten",
                 When(cask::Precondition::IfMatch("whatever")));
  REQUIRE(s.status().code() == absl::StatusCode::kUnimplemented);
  absl::Status r = store->Remove("n:a", cask::Precondition::MustExist());
  REQUIRE(r.code() == absl::StatusCode::kUnimplemented);
  cask::Batch batch;
  batch.Put("n:b", "x");
  REQUIRE(store->Commit(batch).status().code() ==
          absl::StatusCode::kUnimplemented);
  cask::WriteOptions ttl;
  ttl.ttl = absl::Seconds(5);
  REQUIRE(store->Set("n:t", "x", ttl).status().code() ==
          absl::StatusCode::kUnimplemented);

  // Nothing was sent: the server saw no write, and the value is intact.
  REQUIRE(Count("PUT") == puts);
  REQUIRE(Count("DELETE") == deletes);
  REQUIRE(Count("POST") == posts);
  REQUIRE(store->Get("n:a")->value == "v1");

  REQUIRE(store->Remove("n:a").ok());
  REQUIRE_FALSE(*store->Has("n:a"));
  REQUIRE(store->Clear().ok());
}

TEST_CASE("cask serve: the same calls are honoured", "[negotiation]") {
  absl::StatusOr<std::unique_ptr<cask::Driver>> mem = cask::OpenStore("mem:");
  REQUIRE(mem.ok());
  cask::server::ServerOptions options;
  options.port = 0;
  options.store_threads = 4;
  auto server = cask::server::Server::Start(
      std::shared_ptr<cask::Driver>(*std::move(mem)), options);
  REQUIRE(server.ok());
  auto store = Client((*server)->url());
  REQUIRE(store->capabilities().cas);
  absl::StatusOr<std::string> e =
      store->Set("n:a", "v1", When(cask::Precondition::CreateOnly()));
  REQUIRE(e.ok());
  REQUIRE(store->Set("n:a", "v2", When(cask::Precondition::CreateOnly()))
              .status()
              .code() == absl::StatusCode::kAborted);
  REQUIRE(store->Set("n:a", "v2", When(cask::Precondition::IfMatch(*e))).ok());
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_UNSTORAGE_URL");
  if (url == nullptr || *url == '\0') {
    std::fprintf(stderr,
                 "\n*** SKIPPED: CASK_TEST_UNSTORAGE_URL is not set (run "
                 "tests/http/negotiation_test.sh) ***\n\n");
    return 77;
  }
  UnstorageUrl() = url;
  return Catch::Session().run(argc, argv);
}
