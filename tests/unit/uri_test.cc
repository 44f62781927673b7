#include "uri.h"

#include "catch2/catch.hpp"

namespace cask {
namespace {

TEST_CASE("ParseUri reads every part", "[uri]") {
  absl::StatusOr<Uri> u =
      ParseUri("postgres://us%40r:p%3Ass@127.0.0.1:15432/db%20x?a=1&b=x%2Fy");
  REQUIRE(u.ok());
  CHECK(u->scheme == "postgres");
  CHECK(u->user == "us@r");
  CHECK(u->password == "p:ss");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 15432);
  CHECK(u->path == "/db x");
  CHECK(u->Param("b") == "x/y");
  CHECK(*u->UintParam("a", 7) == 1);
  CHECK(*u->UintParam("zz", 7) == 7);
}

TEST_CASE("ParseUri: file paths, IPv6, errors", "[uri]") {
  CHECK(ParseUri("file:///tmp/x")->path == "/tmp/x");
  CHECK(ParseUri("mem:")->scheme == "mem");
  CHECK(ParseUri("redis://[::1]:6379")->host == "[::1]");
  CHECK(ParseUri("redis://[::1]:6379")->port == 6379);
  CHECK_FALSE(ParseUri("nocolon").ok());
  CHECK_FALSE(ParseUri("x://h:99999").ok());
  CHECK_FALSE(ParseUri("x://h/%zz").ok());
  CHECK_FALSE(
      ParseUri("lru:?max_entries=abc")->UintParam("max_entries", 1).ok());
}

TEST_CASE("ParseUri keeps repeated query names in order", "[uri]") {
  absl::StatusOr<Uri> u =
      ParseUri("overlay:?layer=mem%3A&x=1&layer=file%3A%2F%2F%2Ftmp");
  REQUIRE(u.ok());
  CHECK(u->Params("layer") == std::vector<std::string>{"mem:", "file:///tmp"});
  CHECK(u->Params("none").empty());
  CHECK(u->Param("layer") == "file:///tmp");  // the map keeps the last
}

}  // namespace
}  // namespace cask
