// The one percent-encoder: every caller's byte set, and the round trip
// through the one decoder.
#include "percent_encoding.h"

#include "catch2/catch.hpp"

namespace cask {
namespace {

TEST_CASE("percent encoding keeps exactly the caller's bytes") {
  const KeptBytes unreserved = KeptBytes::Unreserved();
  CHECK(PercentEncode("aZ09-._~", unreserved) == "aZ09-._~");
  CHECK(PercentEncode("a b/c?d", unreserved) == "a%20b%2Fc%3Fd");
  CHECK(PercentEncode("a/b", unreserved.With("/")) == "a/b");
  CHECK(PercentEncode(std::string("\0\xff", 2), unreserved) == "%00%FF");
  // Azure table row keys: printable ASCII minus the forbidden few.
  const KeptBytes row = KeptBytes::PrintableAscii().Without("/\\#?%~'");
  CHECK(PercentEncode("a:b c", row) == "a:b c");
  CHECK(PercentEncode("a/b\\c#d?e%f~g'h\x7f", row) ==
        "a%2Fb%5Cc%23d%3Fe%25f%7Eg%27h%7F");
}

TEST_CASE("percent decoding inverts percent encoding") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const KeptBytes& kept :
       {KeptBytes::Unreserved(), KeptBytes::Unreserved().With("$!*'()@/"),
        KeptBytes::PrintableAscii().Without("%")}) {
    absl::StatusOr<std::string> back = PercentDecode(PercentEncode(all, kept));
    REQUIRE(back.ok());
    CHECK(*back == all);
  }
  CHECK(PercentDecode("%4").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(PercentDecode("%zz").status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cask
