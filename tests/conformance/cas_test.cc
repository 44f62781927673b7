// The CAS block: every precondition shape, on Set and on Remove, with exact
// status codes; and CAS unsupported on stores without it.
#include <string>
#include <vector>

#include "cask/status.h"
#include "util.h"

namespace cask::conformance {
namespace {

using Tags = std::vector<std::string>;

WriteOptions When(Precondition p) {
  WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

Precondition IfMatch(Tags tags) { return Precondition{std::move(tags), {}}; }
Precondition IfNoneMatch(Tags tags) {
  return Precondition{{}, std::move(tags)};
}

// A store-independent etag that no store issues.
const std::string kForeignEtag = "never-issued-etag-0";

// Every CAS test starts here; stores without CAS check refusal instead.
bool CasOrCheckRefusal(Driver& store) {
  if (store.capabilities().cas) return true;
  NoteSkippedBlock("cas", "store declares no CAS; asserting kUnimplemented");
  // Refused before the backend is touched: nothing gets written.
  CASK_REQUIRE_CODE(store.Set("c", "v", When(Precondition::CreateOnly())),
                    absl::StatusCode::kUnimplemented);
  CASK_REQUIRE_CODE(store.Set("c", "v", When(Precondition::IfMatch("x"))),
                    absl::StatusCode::kUnimplemented);
  CASK_REQUIRE_CODE(store.Remove("c", Precondition::MustExist()),
                    absl::StatusCode::kUnimplemented);
  REQUIRE(IsCasUnsupported(
      store.Set("c", "v", When(Precondition::CreateOnly())).status()));
  REQUIRE(store.Keys()->empty());
  return false;
}

TEST_CASE("create-only twice: second is a mismatch, value unchanged", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string etag =
      MustSet(*store, "obj", "first", When(Precondition::CreateOnly()));
  absl::StatusOr<std::string> again =
      store->Set("obj", "second", When(Precondition::CreateOnly()));
  CASK_REQUIRE_CODE(again, absl::StatusCode::kAborted);
  REQUIRE(IsCasMismatch(again.status()));
  REQUIRE(CurrentEtag(again.status()) == etag);
  REQUIRE(MustGet(*store, "obj") == "first");
  REQUIRE(store->GetMeta("obj")->etag == etag);
}

TEST_CASE("etag from set equals etag from meta and get", "[basic]") {
  auto store = MakeStore();
  std::string etag = MustSet(*store, "k", "v");
  REQUIRE(store->GetMeta("k")->etag == etag);
  REQUIRE(store->Get("k")->meta.etag == etag);
}

TEST_CASE("if-match current etag swaps; stale etag is a mismatch", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string e1 = MustSet(*store, "ref", "v1");
  std::string e2 =
      MustSet(*store, "ref", "v2", When(Precondition::IfMatch(e1)));
  REQUIRE(e2 != e1);
  REQUIRE(MustGet(*store, "ref") == "v2");
  absl::StatusOr<std::string> stale =
      store->Set("ref", "v3", When(Precondition::IfMatch(e1)));
  CASK_REQUIRE_CODE(stale, absl::StatusCode::kAborted);
  REQUIRE(CurrentEtag(stale.status()) == e2);
  REQUIRE(MustGet(*store, "ref") == "v2");
  CASK_REQUIRE_CODE(
      store->Set("ref", "v3", When(Precondition::IfMatch(kForeignEtag))),
      absl::StatusCode::kAborted);
}

TEST_CASE("if-match on a missing key is a mismatch", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  absl::StatusOr<std::string> r =
      store->Set("missing", "v", When(Precondition::IfMatch(kForeignEtag)));
  CASK_REQUIRE_CODE(r, absl::StatusCode::kAborted);
  REQUIRE_FALSE(CurrentEtag(r.status()).has_value());
  REQUIRE_FALSE(*store->Has("missing"));
}

TEST_CASE("if-match * on missing then present", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  CASK_REQUIRE_CODE(store->Set("k", "v", When(Precondition::MustExist())),
                    absl::StatusCode::kAborted);
  REQUIRE_FALSE(*store->Has("k"));
  MustSet(*store, "k", "v1");
  MustSet(*store, "k", "v2", When(Precondition::MustExist()));
  REQUIRE(MustGet(*store, "k") == "v2");
}

TEST_CASE("if-none-match current etag fails, other etag holds", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  // Absent key: any if-none-match list holds.
  std::string e1 =
      MustSet(*store, "k", "v1", When(Precondition::IfNoneMatch(kForeignEtag)));
  CASK_REQUIRE_CODE(store->Set("k", "v2", When(Precondition::IfNoneMatch(e1))),
                    absl::StatusCode::kAborted);
  REQUIRE(MustGet(*store, "k") == "v1");
  MustSet(*store, "k", "v2", When(Precondition::IfNoneMatch(kForeignEtag)));
  REQUIRE(MustGet(*store, "k") == "v2");
}

TEST_CASE("both headers together must both hold", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string e1 = MustSet(*store, "k", "v1");
  Precondition both{Tags{e1}, Tags{kForeignEtag}};
  std::string e2 = MustSet(*store, "k", "v2", When(both));
  // Now if-match holds for e2 but if-none-match names e2: fails.
  Precondition contradictory{Tags{e2}, Tags{e2}};
  CASK_REQUIRE_CODE(store->Set("k", "v3", When(contradictory)),
                    absl::StatusCode::kAborted);
  // if-match stale, if-none-match fine: fails.
  Precondition stale{Tags{e1}, Tags{kForeignEtag}};
  CASK_REQUIRE_CODE(store->Set("k", "v3", When(stale)),
                    absl::StatusCode::kAborted);
  REQUIRE(MustGet(*store, "k") == "v2");
}

TEST_CASE("etag lists", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string e1 = MustSet(*store, "k", "v1");
  std::string e2 =
      MustSet(*store, "k", "v2", When(IfMatch({kForeignEtag, e1})));
  CASK_REQUIRE_CODE(store->Set("k", "v3", When(IfMatch({kForeignEtag, e1}))),
                    absl::StatusCode::kAborted);
  CASK_REQUIRE_CODE(
      store->Set("k", "v3", When(IfNoneMatch({kForeignEtag, e2}))),
      absl::StatusCode::kAborted);
  MustSet(*store, "k", "v3", When(IfNoneMatch({kForeignEtag, e1})));
  REQUIRE(MustGet(*store, "k") == "v3");
}

TEST_CASE("weak tags: never match if-match, match if-none-match", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string e1 = MustSet(*store, "k", "v1");
  CASK_REQUIRE_CODE(store->Set("k", "v2", When(IfMatch({"W/" + e1}))),
                    absl::StatusCode::kAborted);
  CASK_REQUIRE_CODE(store->Set("k", "v2", When(IfNoneMatch({"W/" + e1}))),
                    absl::StatusCode::kAborted);
  REQUIRE(MustGet(*store, "k") == "v1");
}

TEST_CASE("conditional delete in every shape", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string e1 = MustSet(*store, "k", "v1");
  // Stale if-match: kept.
  CASK_REQUIRE_CODE(store->Remove("k", Precondition::IfMatch(kForeignEtag)),
                    absl::StatusCode::kAborted);
  REQUIRE(*store->Has("k"));
  // if-none-match *: the key exists, so the delete fails.
  absl::Status s = store->Remove("k", Precondition::CreateOnly());
  CASK_REQUIRE_CODE(s, absl::StatusCode::kAborted);
  REQUIRE(CurrentEtag(s) == e1);
  // if-none-match current: fails; other: deletes.
  CASK_REQUIRE_CODE(store->Remove("k", Precondition::IfNoneMatch(e1)),
                    absl::StatusCode::kAborted);
  REQUIRE(*store->Has("k"));
  CASK_REQUIRE_OK(store->Remove("k", Precondition::IfMatch(e1)));
  REQUIRE_FALSE(*store->Has("k"));
  // Missing key: if-match (etag or *) is a mismatch, if-none-match * holds.
  CASK_REQUIRE_CODE(store->Remove("k", Precondition::IfMatch(e1)),
                    absl::StatusCode::kAborted);
  CASK_REQUIRE_CODE(store->Remove("k", Precondition::MustExist()),
                    absl::StatusCode::kAborted);
  CASK_REQUIRE_OK(store->Remove("k", Precondition::CreateOnly()));
  // if-match * on a present key deletes it; if-none-match other deletes.
  MustSet(*store, "k", "v");
  CASK_REQUIRE_OK(store->Remove("k", Precondition::MustExist()));
  REQUIRE_FALSE(*store->Has("k"));
  MustSet(*store, "k", "v");
  CASK_REQUIRE_OK(store->Remove("k", Precondition::IfNoneMatch(kForeignEtag)));
  REQUIRE_FALSE(*store->Has("k"));
}

// Content-hash stores hand out the same etag for the same content: the ABA
// trap their docs warn about. They are held to that documented behaviour.
bool ReusesEtagsByDesign() {
  if (!CurrentTarget().content_hash_etags) return false;
  NoteSkippedBlock("no etag reuse", "store documents content-hash etags");
  return true;
}

TEST_CASE("no etag reuse after delete-and-recreate", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string old_etag = MustSet(*store, "k", "same");
  CASK_REQUIRE_OK(store->Remove("k"));
  std::string new_etag = MustSet(*store, "k", "same");
  if (ReusesEtagsByDesign()) {
    REQUIRE(old_etag == new_etag);
    return;
  }
  REQUIRE(old_etag != new_etag);
  CASK_REQUIRE_CODE(store->Set("k", "x", When(Precondition::IfMatch(old_etag))),
                    absl::StatusCode::kAborted);
}

TEST_CASE("no etag reuse after clear", "[cas]") {
  auto store = MakeStore();
  if (!CasOrCheckRefusal(*store)) return;
  std::string old_etag = MustSet(*store, "a:k", "same");
  CASK_REQUIRE_OK(store->Clear());
  std::string new_etag = MustSet(*store, "a:k", "same");
  if (ReusesEtagsByDesign()) {
    REQUIRE(old_etag == new_etag);
    return;
  }
  REQUIRE(old_etag != new_etag);
  CASK_REQUIRE_CODE(
      store->Set("a:k", "x", When(Precondition::IfMatch(old_etag))),
      absl::StatusCode::kAborted);
  REQUIRE(MustGet(*store, "a:k") == "same");
}

TEST_CASE("etags of one store never match in another", "[cas]") {
  auto a = MakeStore();
  if (!CasOrCheckRefusal(*a)) return;
  std::string etag_a = MustSet(*a, "k", "v");
  auto b = MakeStore();
  std::string etag_b = MustSet(*b, "k", "v");
  if (ReusesEtagsByDesign()) return;
  REQUIRE(etag_a != etag_b);
}

}  // namespace
}  // namespace cask::conformance
