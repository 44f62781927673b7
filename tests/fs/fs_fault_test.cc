// What the fs store reports when a system call fails part-way through a
// write: before the commit point the underlying code with nothing applied;
// after it kUnknown, never a code that says nothing was applied.
#define CATCH_CONFIG_MAIN
#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "cask/batch.h"
#include "catch2/catch.hpp"
#include "fs_fault_util.h"
#include "fs_store.h"
#include "fs_test_util.h"

namespace cask {
namespace {

using fs_test::MustGet;
using fs_test::MustSet;
using fs_test::Open;
using fs_test::ScratchDir;
using fs_test::WithFault;

TEST_CASE("a failed directory fsync after a set reports kUnknown",
          "[fs][faults]") {
  ScratchDir dir;
  auto store = Open(dir.root(), /*sync=*/true);
  MustSet(*store, "k", "old");
  absl::StatusOr<std::string> etag =
      WithFault("fsync-dir", 1, EIO, [&] { return store->Set("k", "new"); });
  INFO(etag.status().ToString());
  REQUIRE(etag.status().code() == absl::StatusCode::kUnknown);
  // The write is visible: an answer saying nothing was applied would lie.
  REQUIRE(MustGet(*store, "k") == "new");
}

TEST_CASE("a failed directory fsync after a remove reports kUnknown",
          "[fs][faults]") {
  ScratchDir dir;
  auto store = Open(dir.root(), /*sync=*/true);
  MustSet(*store, "k", "old");
  absl::Status removed =
      WithFault("fsync-dir", 1, EIO, [&] { return store->Remove("k"); });
  INFO(removed.ToString());
  REQUIRE(removed.code() == absl::StatusCode::kUnknown);
  REQUIRE(absl::IsNotFound(store->Get("k").status()));
}

TEST_CASE("a failed directory fsync after a clear reports kUnknown",
          "[fs][faults]") {
  ScratchDir dir;
  auto store = Open(dir.root(), /*sync=*/true);
  MustSet(*store, "a:x", "v");
  MustSet(*store, "a:y", "v");
  absl::Status cleared =
      WithFault("fsync-dir", 1, EIO, [&] { return store->Clear("a"); });
  INFO(cleared.ToString());
  REQUIRE(cleared.code() == absl::StatusCode::kUnknown);
  REQUIRE(store->Keys("a")->empty());
}

TEST_CASE("a commit failing part-way through its renames reports kUnknown",
          "[fs][faults][commit]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  MustSet(*store, "a", "old");
  MustSet(*store, "b", "old");
  Batch batch;
  batch.Put("a", "new").Put("b", "new").Put("c", "new");
  absl::StatusOr<CommitResult> result =
      WithFault("commit-apply", 2, EIO, [&] { return store->Commit(batch); });
  INFO(result.status().ToString());
  REQUIRE(result.status().code() == absl::StatusCode::kUnknown);
  // Past its commit point a commit is completed, never left in part: the
  // next operation on its keys finishes it.
  REQUIRE(MustGet(*store, "b") == "new");
  REQUIRE(MustGet(*store, "a") == "new");
  REQUIRE(MustGet(*store, "c") == "new");
}

TEST_CASE("a commit whose directory fsync fails reports kUnknown",
          "[fs][faults][commit]") {
  ScratchDir dir;
  auto store = Open(dir.root(), /*sync=*/true);
  Batch batch;
  batch.Put("a", "new").Put("x:y", "new");
  absl::StatusOr<CommitResult> result =
      WithFault("fsync-dir", 1, EIO, [&] { return store->Commit(batch); });
  INFO(result.status().ToString());
  REQUIRE(result.status().code() == absl::StatusCode::kUnknown);
  REQUIRE(MustGet(*store, "a") == "new");
  REQUIRE(MustGet(*store, "x:y") == "new");
}

TEST_CASE("a commit failing before its commit point applies nothing",
          "[fs][faults][commit]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  MustSet(*store, "a", "old");
  Batch batch;
  batch.Put("a", "new").Put("b", "new");
  absl::StatusOr<CommitResult> result = WithFault(
      "journal-publish", 1, ENOSPC, [&] { return store->Commit(batch); });
  INFO(result.status().ToString());
  REQUIRE(result.status().code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(MustGet(*store, "a") == "old");
  REQUIRE(absl::IsNotFound(store->Get("b").status()));
  // Nothing is left for a later reader to roll forward.
  REQUIRE(MustGet(*store, "a") == "old");
}

}  // namespace
}  // namespace cask
