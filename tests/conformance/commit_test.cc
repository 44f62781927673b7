// The commit block: atomic multi-key batches (git reference transactions).
#include <algorithm>
#include <string>
#include <vector>

#include "cask/status.h"
#include "util.h"

namespace cask::conformance {
namespace {

using Keys = std::vector<std::string>;

WriteOptions When(Precondition p) {
  WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

bool BatchOrCheckRefusal(Driver& store) {
  if (store.capabilities().atomic_batch) return true;
  NoteSkippedBlock("commit",
                   "store declares no atomic_batch; asserting kUnimplemented");
  Batch batch;
  batch.Put("a", "1").Put("b", "2");
  absl::StatusOr<CommitResult> r = store.Commit(batch);
  CASK_REQUIRE_CODE(r, absl::StatusCode::kUnimplemented);
  REQUIRE(IsCasUnsupported(r.status()));
  REQUIRE(store.Keys()->empty());
  return false;
}

TEST_CASE("commit applies puts, deletes and verifies together", "[commit]") {
  auto store = MakeStore();
  if (!BatchOrCheckRefusal(*store)) return;
  std::string main_etag = MustSet(*store, "refs:heads:main", "c1");
  std::string tag_etag = MustSet(*store, "refs:tags:v1", "c0");
  MustSet(*store, "refs:heads:old", "c0");

  Batch batch;
  batch.Put("refs:heads:main", "c2", When(Precondition::IfMatch(main_etag)))
      .Put("objects:c2", "tree", When(Precondition::CreateOnly()))
      .Delete("refs:heads:old")
      .Verify("refs:tags:v1", Precondition::IfMatch(tag_etag));
  absl::StatusOr<CommitResult> r = store->Commit(batch);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->etags.size() == 4);
  REQUIRE_FALSE(r->etags[0].empty());
  REQUIRE_FALSE(r->etags[1].empty());
  REQUIRE(r->etags[2].empty());
  REQUIRE(r->etags[3].empty());
  REQUIRE(store->GetMeta("refs:heads:main")->etag == r->etags[0]);
  REQUIRE(store->GetMeta("objects:c2")->etag == r->etags[1]);
  REQUIRE(MustGet(*store, "refs:heads:main") == "c2");
  REQUIRE(MustGet(*store, "objects:c2") == "tree");
  REQUIRE_FALSE(*store->Has("refs:heads:old"));
  REQUIRE(store->GetMeta("refs:tags:v1")->etag == tag_etag);
}

TEST_CASE("commit is all-or-nothing and names every failing key", "[commit]") {
  auto store = MakeStore();
  if (!BatchOrCheckRefusal(*store)) return;
  std::string a = MustSet(*store, "a", "a1");
  std::string b = MustSet(*store, "b", "b1");
  MustSet(*store, "c", "c1");

  Batch batch;
  batch
      .Put("a", "a2", When(Precondition::IfMatch(a)))             // holds
      .Put("b", "b2", When(Precondition::IfMatch("stale-etag")))  // fails
      .Put("c", "c2", When(Precondition::CreateOnly()))   // fails: exists
      .Put("new", "n", When(Precondition::CreateOnly()))  // holds
      .Delete("a:child");
  absl::StatusOr<CommitResult> r = store->Commit(batch);
  CASK_REQUIRE_CODE(r, absl::StatusCode::kAborted);
  std::vector<Conflict> conflicts = Conflicts(r.status());
  Keys failing;
  for (const Conflict& c : conflicts) failing.push_back(c.key);
  std::sort(failing.begin(), failing.end());
  REQUIRE(failing == Keys{"b", "c"});
  for (const Conflict& c : conflicts) {
    REQUIRE(c.actual.has_value());
    if (c.key == "b") REQUIRE(*c.actual == b);
  }
  std::string message(r.status().message());
  REQUIRE(message.find("\"b\"") != std::string::npos);
  REQUIRE(message.find("\"c\"") != std::string::npos);
  // Nothing was written.
  REQUIRE(MustGet(*store, "a") == "a1");
  REQUIRE(store->GetMeta("a")->etag == a);
  REQUIRE(MustGet(*store, "b") == "b1");
  REQUIRE(MustGet(*store, "c") == "c1");
  REQUIRE_FALSE(*store->Has("new"));
}

TEST_CASE("commit: a failing verify aborts the batch", "[commit]") {
  auto store = MakeStore();
  if (!BatchOrCheckRefusal(*store)) return;
  Batch batch;
  batch.Put("x", "1").Verify("lock", Precondition::MustExist());
  absl::StatusOr<CommitResult> r = store->Commit(batch);
  CASK_REQUIRE_CODE(r, absl::StatusCode::kAborted);
  REQUIRE(Conflicts(r.status()).size() == 1);
  REQUIRE(Conflicts(r.status())[0].key == "lock");
  REQUIRE_FALSE(Conflicts(r.status())[0].actual.has_value());
  REQUIRE_FALSE(*store->Has("x"));
}

TEST_CASE("commit: conditional delete of a missing key fails", "[commit]") {
  auto store = MakeStore();
  if (!BatchOrCheckRefusal(*store)) return;
  MustSet(*store, "keep", "v");
  Batch batch;
  batch.Delete("keep").Delete("gone", Precondition::MustExist());
  CASK_REQUIRE_CODE(store->Commit(batch), absl::StatusCode::kAborted);
  REQUIRE(*store->Has("keep"));
}

TEST_CASE("commit: duplicate key is invalid, even after normalisation",
          "[commit]") {
  auto store = MakeStore();
  Batch batch;
  batch.Put("a:b", "1").Put("/a/b/", "2");
  CASK_REQUIRE_CODE(store->Commit(batch), absl::StatusCode::kInvalidArgument);
  REQUIRE(store->Keys()->empty());
}

TEST_CASE("commit: bad key or verify without precondition is invalid",
          "[commit]") {
  auto store = MakeStore();
  Batch bad_key;
  bad_key.Put("ok", "1").Put("a:..:b", "2");
  CASK_REQUIRE_CODE(store->Commit(bad_key), absl::StatusCode::kInvalidArgument);
  Batch empty_verify;
  empty_verify.Put("ok", "1").Verify("v", Precondition{});
  CASK_REQUIRE_CODE(store->Commit(empty_verify),
                    absl::StatusCode::kInvalidArgument);
  REQUIRE(store->Keys()->empty());
}

TEST_CASE("commit: an empty batch succeeds and writes nothing", "[commit]") {
  auto store = MakeStore();
  if (!BatchOrCheckRefusal(*store)) return;
  absl::StatusOr<CommitResult> r = store->Commit(Batch{});
  REQUIRE(r.ok());
  REQUIRE(r->etags.empty());
}

}  // namespace
}  // namespace cask::conformance
