// Disk full, shown with a fault-injecting RocksDB FileSystem (fault_fs.h):
// once "full", every append, sync and new file fails with NoSpace, as on a
// full disk.
#include <atomic>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "fault_fs.h"
#include "rocksdb/env.h"
#include "test_util.h"
#include "testing.h"

namespace cask {
namespace {

TEST_CASE("disk full: writes fail, acknowledged data stays, store reopens",
          "[faults]") {
  engine_test::TempDir dir;
  std::atomic<bool> full{false};
  auto fs = std::make_shared<engine_test::FaultFs>(
      engine_test::FaultPlan::DiskFull(), &full);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  EngineOptions options;
  std::vector<std::string> etags;
  std::uint64_t acked_revision = 0;
  {
    absl::StatusOr<std::unique_ptr<Engine>> e =
        engine::TEST_OpenEngineWithEnv(dir.path(), options, env.get());
    REQUIRE(e.ok());
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<std::string> etag =
          (*e)->Set(absl::StrCat("k", i), absl::StrCat("v", i));
      REQUIRE(etag.ok());
      etags.push_back(*etag);
    }
    acked_revision = (*e)->revision();
    full.store(true);
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<std::string> etag = (*e)->Set("k0", "lost");
      INFO(etag.status().ToString());
      REQUIRE(!etag.ok());
      // The write that hit the full disk may have reached the log: kUnknown;
      // the ones refused after it applied nothing.
      REQUIRE((etag.status().code() == absl::StatusCode::kResourceExhausted ||
               etag.status().code() == absl::StatusCode::kUnavailable ||
               (i == 0 && etag.status().code() == absl::StatusCode::kUnknown)));
      // Commits fail alike; reads still work.
      Batch b;
      b.Put("k1", "lost").Put("new", "lost");
      absl::StatusOr<CommitResult> c = (*e)->Commit(b);
      REQUIRE(!c.ok());
      REQUIRE(!IsCasMismatch(c.status()));
      REQUIRE((*e)->Get("k0")->value == "v0");
    }
    REQUIRE((*e)->GetMeta("k0")->etag == etags[0]);
    REQUIRE((*e)->revision() == acked_revision);
    full.store(false);
    // Space is back, but RocksDB does not resume after a failed WAL write:
    // the engine keeps refusing writes (documented) until it is reopened.
    absl::StatusOr<std::string> after = (*e)->Set("after", "x");
    INFO(after.status().ToString());
    REQUIRE(after.status().code() == absl::StatusCode::kResourceExhausted);
    REQUIRE((*e)->Get("k19")->value == "v19");
  }
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(dir.path());
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<Item> item = (*e)->Get(absl::StrCat("k", i));
    REQUIRE(item.ok());
    REQUIRE(item->value == absl::StrCat("v", i));
    REQUIRE(item->meta.etag == etags[i]);
  }
  REQUIRE(!(*e)->Has("new").value());
  REQUIRE((*e)->revision() >= acked_revision);
  // The log agrees with the data and revisions keep increasing.
  absl::StatusOr<std::vector<ChangeEvent>> log = (*e)->Changes(0, 1000);
  REQUIRE(log.ok());
  for (std::size_t i = 1; i < log->size(); ++i) {
    REQUIRE((*log)[i].revision > (*log)[i - 1].revision);
  }
  absl::StatusOr<std::string> etag = (*e)->Set("k0", "again");
  REQUIRE(etag.ok());
  REQUIRE((*e)->GetMeta("k0")->revision > acked_revision);
}

}  // namespace
}  // namespace cask
