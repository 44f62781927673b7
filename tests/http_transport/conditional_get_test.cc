// The http adapter's conditional GET: a value read before is revalidated
// with If-None-Match, and a 304 answer returns the kept value, which never
// crossed the network twice. Against ClosingServer, which serves one value
// with a fixed etag and answers 304 when If-None-Match names it.
#include <memory>
#include <string>

#include "catch2/catch.hpp"
#include "closing_server.h"
#include "http_store.h"

namespace cask {
namespace {

using testing::ClosingServer;

std::unique_ptr<Driver> ClientOf(const ClosingServer& server,
                                 std::size_t cache_bytes) {
  HttpOptions options;
  options.base_url = server.url();
  options.revalidation_cache_bytes = cache_bytes;
  absl::StatusOr<std::unique_ptr<Driver>> store =
      CreateHttpStore(std::move(options));
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE(
    "http adapter: a value read before is revalidated; 304 returns "
    "the kept value") {
  const std::string value(100000, 'v');
  ClosingServer server("X-Cask-CAS: 1\r\nX-Cask-Mtime: 1700000000000000\r\n",
                       value, "e7");
  std::unique_ptr<Driver> store = ClientOf(server, 1 << 20);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Item> item = store->Get("k");
    REQUIRE(item.ok());
    CHECK(item->value == value);
    CHECK(item->meta.etag == "e7");
    CHECK(item->meta.size == value.size());
    CHECK(item->meta.mtime == absl::FromUnixMicros(1700000000000000));
  }
  CHECK(server.full_answers() == 1);
  CHECK(server.not_modified_answers() == 2);
}

TEST_CASE(
    "http adapter: with the cache disabled every GET is answered in "
    "full") {
  ClosingServer server("X-Cask-CAS: 1\r\n", "value", "e7");
  std::unique_ptr<Driver> store = ClientOf(server, 0);
  for (int i = 0; i < 2; ++i) REQUIRE(store->Get("k").ok());
  CHECK(server.full_answers() == 2);
  CHECK(server.not_modified_answers() == 0);
}

TEST_CASE("http adapter: a write forgets the kept value") {
  ClosingServer server("X-Cask-CAS: 1\r\n", "value", "e7");
  std::unique_ptr<Driver> store = ClientOf(server, 1 << 20);
  REQUIRE(store->Get("k").ok());
  // The server hangs up on the PUT: its outcome is unknown, so the kept
  // value may be stale and must not be offered for revalidation.
  CHECK(store->Set("k", "other").status().code() == absl::StatusCode::kUnknown);
  REQUIRE(store->Get("k").ok());
  CHECK(server.full_answers() == 2);
}

}  // namespace
}  // namespace cask
