// A durable write whose WAL sync fails: the record was appended and may
// replay when the store reopens, so the write's outcome is unknown. The
// engine must say kUnknown, never a code that promises nothing applied.
#include <atomic>

#include "absl/strings/match.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "fault_fs.h"
#include "rocksdb/env.h"
#include "test_util.h"
#include "testing.h"

namespace cask {
namespace {

TEST_CASE("a failed WAL sync reports kUnknown: the write may replay",
          "[faults]") {
  engine_test::TempDir dir;
  std::atomic<bool> fail{false};
  auto fs = std::make_shared<engine_test::FaultFs>(
      engine_test::FaultPlan::WalSyncError(), &fail);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  EngineOptions options;
  options.durability = Durability::kDurable;
  {
    absl::StatusOr<std::unique_ptr<Engine>> e =
        engine::OpenEngineWithEnv(dir.path(), options, env.get());
    REQUIRE(e.ok());
    REQUIRE((*e)->Set("k", "before").ok());
    fail.store(true);
    absl::StatusOr<std::string> etag = (*e)->Set("k", "after");
    INFO(etag.status().ToString());
    REQUIRE(etag.status().code() == absl::StatusCode::kUnknown);
    Batch batch;
    batch.Put("a", "x").Put("b", "y");
    absl::StatusOr<CommitResult> c = (*e)->Commit(batch);
    INFO(c.status().ToString());
    REQUIRE(!c.ok());
  }
  // Whatever reached the log replays: here the record did, which is why
  // "nothing applied" would have been a lie.
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(dir.path());
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  absl::StatusOr<Item> item = (*e)->Get("k");
  REQUIRE(item.ok());
  WARN("after reopen k = " << item->value);
  REQUIRE((item->value == "before" || item->value == "after"));
  REQUIRE(!(*e)->Has("a").value());
}

}  // namespace
}  // namespace cask
