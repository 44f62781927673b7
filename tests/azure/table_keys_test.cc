// Pins the key -> RowKey mapping of the azure_table adapter.
#include "table_keys.h"

#include <string>

#include "catch2/catch.hpp"

namespace cask::aztable {
namespace {

TEST_CASE("forbidden and escape characters become %XX", "[table-keys]") {
  REQUIRE(EscapeKey("a:b c") == "a:b c");
  REQUIRE(EscapeKey("#?%~'") == "%23%3F%25%7E%27");
  REQUIRE(EscapeKey(std::string("\x01\x7f\xc3\xa9", 4)) == "%01%7F%C3%A9");
}

TEST_CASE("escaping keeps prefixes, so ranges find subtrees", "[table-keys]") {
  std::string lower, upper;
  RowKeyRange("a#b", &lower, &upper);
  REQUIRE(lower == "a%23b:");
  REQUIRE(upper == "a%23b;");
  std::string child = RowKeyFor("a#b:c");
  REQUIRE(child >= lower);
  REQUIRE(child < upper);
  std::string sibling = RowKeyFor("a#bc");
  REQUIRE_FALSE((sibling >= lower && sibling < upper));
}

TEST_CASE("long keys are cut and hashed, within 512 characters",
          "[table-keys]") {
  std::string key(1024, 'k');
  std::string row = RowKeyFor(key);
  REQUIRE(row.size() <= kMaxRowKey);
  REQUIRE(row.substr(0, kHashedKeep) == key.substr(0, kHashedKeep));
  REQUIRE(row[kHashedKeep] == '~');
  std::string other = key;
  other.back() = 'j';
  REQUIRE(RowKeyFor(other) != row);
  // A long key under a short base is still inside the base's range.
  std::string lower, upper;
  RowKeyRange("kk", &lower, &upper);
  std::string under = "kk:" + std::string(1000, 'x');
  REQUIRE(RowKeyFor(under) >= lower);
  REQUIRE(RowKeyFor(under) < upper);
  REQUIRE(RowKeyFor(std::string(512, 'a')) == std::string(512, 'a'));
}

TEST_CASE("OData literals double quotes", "[table-keys]") {
  REQUIRE(ODataString("it's") == "'it''s'");
}

}  // namespace
}  // namespace cask::aztable
