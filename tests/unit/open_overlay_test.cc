// The overlay store opened by URI through OpenStore, as a user of
// find_package(cask) reaches it: overlay:?layer=<uri>&layer=<uri>.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cask/open.h"
#include "cask/status.h"
#include "catch2/catch.hpp"

namespace cask {
namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cask-open-overlay.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST_CASE("OpenStore opens an overlay whose layers are URIs", "[overlay]") {
  TempDir dir;
  std::string lower_uri = "file://" + dir.path + "/lower";
  {
    auto lower = OpenStore(lower_uri);
    REQUIRE(lower.ok());
    REQUIRE((*lower)->Set("shared:a", "lower-a").ok());
  }
  // "mem:" on top; the fs store below, its URI percent-encoded.
  std::string encoded_lower = "file%3A%2F%2F" + dir.path + "%2Flower";
  auto overlay = OpenStore("overlay:?layer=mem%3A&layer=" + encoded_lower);
  REQUIRE(overlay.ok());
  CHECK((*overlay)->Get("shared:a")->value == "lower-a");
  REQUIRE((*overlay)->Set("shared:a", "top-a").ok());
  CHECK((*overlay)->Get("shared:a")->value == "top-a");
  REQUIRE((*overlay)->Remove("shared:a").ok());
  CHECK((*overlay)->Get("shared:a").status().code() ==
        absl::StatusCode::kNotFound);
  // The lower layer is read-only through the overlay.
  auto lower = OpenStore(lower_uri);
  REQUIRE(lower.ok());
  CHECK((*lower)->Get("shared:a")->value == "lower-a");
  // CAS is the top layer's: create-only refuses a key the lower layer shows.
  REQUIRE((*lower)->Set("shared:b", "lower-b").ok());
  auto create = (*overlay)->Set("shared:b", "x", {Precondition::CreateOnly()});
  CHECK(IsCasMismatch(create.status()));
}

TEST_CASE("OpenStore rejects malformed overlay URIs", "[overlay]") {
  auto schemes = SupportedSchemes();
  CHECK(std::find(schemes.begin(), schemes.end(), "overlay") != schemes.end());
  for (const char* bad :
       {"overlay:", "overlay:?top=mem%3A", "overlay://host?layer=mem%3A",
        "overlay:?layer=mem%3A&layer=nope%3A", "overlay:?layer=%ZZ"}) {
    INFO(bad);
    CHECK(OpenStore(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // CAS support is the top layer's: a null top has none.
  auto null_top = OpenStore("overlay:?layer=null%3A&layer=mem%3A");
  REQUIRE(null_top.ok());
  CHECK(IsCasUnsupported(
      (*null_top)->Set("k", "v", {Precondition::CreateOnly()}).status()));
}

}  // namespace
}  // namespace cask
