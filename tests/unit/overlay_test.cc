// Overlay behaviour over populated lower layers, which the conformance
// suite (empty stores only) cannot show.
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "memory_store.h"
#include "cask/overlay.h"

namespace cask {
namespace {

using Keys = std::vector<std::string>;

struct Layers {
  std::shared_ptr<Driver> top = std::shared_ptr<Driver>(*CreateMemoryStore());
  std::shared_ptr<Driver> base = std::shared_ptr<Driver>(*CreateMemoryStore());
  std::unique_ptr<Driver> overlay;
  Layers() {
    REQUIRE(base->Set("shared:a", "lower-a").ok());
    REQUIRE(base->Set("shared:b", "lower-b").ok());
    overlay = *CreateOverlayStore({top, base});
  }
};

TEST_CASE("overlay: reads fall through, writes go to the top", "[overlay]") {
  Layers l;
  CHECK(l.overlay->Get("shared:a")->value == "lower-a");
  CHECK(l.overlay->GetMeta("shared:a")->etag ==
        l.base->GetMeta("shared:a")->etag);
  REQUIRE(l.overlay->Set("shared:a", "top-a").ok());
  CHECK(l.overlay->Get("shared:a")->value == "top-a");
  CHECK(l.base->Get("shared:a")->value == "lower-a");
  CHECK(*l.overlay->Keys() == Keys{"shared:a", "shared:b"});
}

TEST_CASE("overlay: remove hides lower copies; keys and clear agree",
          "[overlay]") {
  Layers l;
  REQUIRE(l.overlay->Remove("shared:a").ok());
  CHECK(l.overlay->Get("shared:a").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK_FALSE(*l.overlay->Has("shared:a"));
  CHECK(*l.overlay->Keys() == Keys{"shared:b"});
  CHECK(l.base->Get("shared:a")->value == "lower-a");
  // Re-creating a hidden key is a create (it does not exist).
  REQUIRE(
      l.overlay->Set("shared:a", "again", {Precondition::CreateOnly()}).ok());
  CHECK(l.overlay->Get("shared:a")->value == "again");
  REQUIRE(l.overlay->Clear("shared").ok());
  CHECK(l.overlay->Keys()->empty());
  CHECK(l.base->Keys()->size() == 2);
}

TEST_CASE("overlay: CAS sees the merged view", "[overlay]") {
  Layers l;
  std::string lower_etag = l.base->GetMeta("shared:b")->etag;
  CHECK(IsCasMismatch(
      l.overlay->Set("shared:b", "x", {Precondition::CreateOnly()}).status()));
  CHECK(IsCasMismatch(
      l.overlay->Set("shared:b", "x", {Precondition::IfMatch("nope")})
          .status()));
  absl::StatusOr<std::string> swapped =
      l.overlay->Set("shared:b", "x", {Precondition::IfMatch(lower_etag)});
  REQUIRE(swapped.ok());
  CHECK(IsCasMismatch(
      l.overlay->Remove("shared:b", Precondition::IfMatch(lower_etag))));
  REQUIRE(l.overlay->Remove("shared:b", Precondition::IfMatch(*swapped)).ok());
  CHECK(
      IsCasMismatch(l.overlay->Remove("shared:b", Precondition::MustExist())));
}

TEST_CASE("overlay: commit across layers is atomic on the top", "[overlay]") {
  Layers l;
  std::string a = l.base->GetMeta("shared:a")->etag;
  Batch bad;
  bad.Put("shared:a", "1", {Precondition::IfMatch(a)})
      .Delete("shared:b", Precondition::IfMatch("stale"));
  absl::StatusOr<CommitResult> r = l.overlay->Commit(bad);
  REQUIRE(IsCasMismatch(r.status()));
  REQUIRE(Conflicts(r.status()).size() == 1);
  CHECK(l.top->Keys()->empty());
  Batch good;
  good.Put("shared:a", "1", {Precondition::IfMatch(a)}).Delete("shared:b");
  r = l.overlay->Commit(good);
  REQUIRE(r.ok());
  CHECK(l.overlay->GetMeta("shared:a")->etag == r->etags[0]);
  CHECK(*l.overlay->Keys() == Keys{"shared:a"});
}

TEST_CASE("overlay: the tombstone value cannot be stored", "[overlay]") {
  Layers l;
  CHECK(l.overlay->Set("k", kOverlayTombstone).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cask
