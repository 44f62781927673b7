// Mount-specific behaviour of Storage that the conformance suite cannot
// see: routing, masking, unmount, CAS unsupported per mount.
#include "cask/storage.h"

#include "cask/status.h"
#include "catch2/catch.hpp"
#include "memory_store.h"
#include "null_store.h"

namespace cask {
namespace {

using Keys = std::vector<std::string>;

std::shared_ptr<Driver> Memory() {
  return std::shared_ptr<Driver>(*CreateMemoryStore());
}

TEST_CASE("routing by longest base, keys relative to the mount", "[storage]") {
  auto root = Memory(), a = Memory(), ab = Memory();
  auto storage = Storage::Create(root);
  REQUIRE(storage->Mount("a", a).ok());
  REQUIRE(storage->Mount("a/b/", ab).ok());
  REQUIRE(storage->Set("a:b:c", "1").ok());
  REQUIRE(storage->Set("a:x", "2").ok());
  REQUIRE(storage->Set("z", "3").ok());
  CHECK(*ab->Keys() == Keys{"c"});
  CHECK(*a->Keys() == Keys{"x"});
  CHECK(*root->Keys() == Keys{"z"});
  CHECK(*storage->Keys() == Keys{"a:b:c", "a:x", "z"});
  CHECK(*storage->Keys("a") == Keys{"a:b:c", "a:x"});
  CHECK(*storage->Keys("a:b") == Keys{"a:b:c"});
  CHECK(storage->MountedBases() == Keys{"a:b", "a", ""});
}

TEST_CASE("a mount hides what its parent holds below it", "[storage]") {
  auto root = Memory();
  REQUIRE(root->Set("m:hidden", "old").ok());
  auto storage = Storage::Create(root);
  REQUIRE(storage->Mount("m", Memory()).ok());
  CHECK(storage->Keys()->empty());
  CHECK(storage->Get("m:hidden").status().code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(storage->Unmount("m").ok());
  CHECK(*storage->Keys() == Keys{"m:hidden"});
  CHECK(storage->Unmount("m").code() == absl::StatusCode::kNotFound);
  CHECK(storage->Unmount("").code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("clear(base) inside a mount clears only that part", "[storage]") {
  auto root = Memory(), m = Memory();
  auto storage = Storage::Create(root);
  REQUIRE(storage->Mount("m", m).ok());
  for (const char* k : {"m:a:1", "m:a:2", "m:b", "x"}) {
    REQUIRE(storage->Set(k, "v").ok());
  }
  REQUIRE(storage->Clear("m:a").ok());
  CHECK(*storage->Keys() == Keys{"m:b", "x"});
  REQUIRE(storage->Clear("").ok());
  CHECK(storage->Keys()->empty());
}

TEST_CASE("CAS unsupported on a mount without CAS, before it is called",
          "[storage]") {
  auto storage = Storage::Create(Memory());
  REQUIRE(
      storage->Mount("cache", std::shared_ptr<Driver>(CreateNullStore())).ok());
  WriteOptions create;
  create.precondition = Precondition::CreateOnly();
  absl::StatusOr<std::string> r = storage->Set("cache:k", "v", create);
  CHECK(IsCasUnsupported(r.status()));
  CHECK(storage->Set("other", "v", create).ok());
  CHECK(
      IsCasUnsupported(storage->Remove("cache:k", Precondition::MustExist())));
}

TEST_CASE("a commit spanning mounts is unsupported; within one it works",
          "[storage]") {
  auto storage = Storage::Create(Memory());
  REQUIRE(storage->Mount("m", Memory()).ok());
  Batch across;
  across.Put("m:a", "1").Put("b", "2");
  CHECK(IsCasUnsupported(storage->Commit(across).status()));
  CHECK(storage->Keys()->empty());
  Batch within;
  within.Put("m:a", "1").Put("m:b", "2", {Precondition::CreateOnly()});
  REQUIRE(storage->Commit(within).ok());
  CHECK(*storage->Keys() == Keys{"m:a", "m:b"});
}

}  // namespace
}  // namespace cask
