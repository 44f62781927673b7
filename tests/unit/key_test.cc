#include "cask/key.h"

#include "catch2/catch.hpp"

namespace cask {
namespace {

TEST_CASE("NormalizeKey follows unstorage's separators", "[key]") {
  CHECK(*NormalizeKey("a:b") == "a:b");
  CHECK(*NormalizeKey("a/b\\c") == "a:b:c");
  CHECK(*NormalizeKey("::a::b::") == "a:b");
  CHECK(*NormalizeKey("/a/") == "a");
  CHECK(*NormalizeKey("a b") == "a b");
  CHECK(*NormalizeKey("a..b:.c") == "a..b:.c");  // only whole segments count
  // A key whose separators are normal already is copied whole; one with a
  // leading, trailing or doubled ':' is normalised.
  CHECK(*NormalizeKey("t0:k17") == "t0:k17");
  CHECK(*NormalizeKey(":a") == "a");
  CHECK(*NormalizeKey("a:") == "a");
  CHECK(*NormalizeKey("a::b") == "a:b");
  CHECK(*NormalizeKey("a:/b") == "a:b");
}

TEST_CASE("NormalizeKey rejects empty, NUL, dot segments and long keys",
          "[key]") {
  for (std::string bad :
       {std::string(""), std::string(":/\\"), std::string("a:..:b"),
        std::string("a:.:b"), std::string("."), std::string(":"),
        std::string(".."), std::string("a/."), std::string("x\0y", 3),
        std::string(kMaxKeyBytes + 1, 'a')}) {
    CHECK(NormalizeKey(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(NormalizeKey(std::string(kMaxKeyBytes, 'a')).ok());
  // The limit applies after normalisation.
  CHECK(NormalizeKey(std::string(kMaxKeyBytes, 'a') + ":::").ok());
}

TEST_CASE("NormalizeBase allows empty", "[key]") {
  CHECK(*NormalizeBase("") == "");
  CHECK(*NormalizeBase("/") == "");
  CHECK(*NormalizeBase("a/b/") == "a:b");
  CHECK_FALSE(NormalizeBase("a/../b").ok());
}

TEST_CASE("IsUnderBase and JoinKey", "[key]") {
  CHECK(IsUnderBase("a:b", "a"));
  CHECK(IsUnderBase("a", ""));
  CHECK_FALSE(IsUnderBase("a", "a"));
  CHECK_FALSE(IsUnderBase("ab:c", "a"));
  CHECK(JoinKey("", "x") == "x");
  CHECK(JoinKey("a", "x") == "a:x");
}

}  // namespace
}  // namespace cask
