// A commit large enough to be ingested as table files (batch_ingest.h) is
// all-or-nothing across a power loss: the machine is turned off before
// each durability step of the commit in turn (every file sync, directory
// sync, file creation, link, rename and delete it makes), the unsynced
// bytes are dropped, and the reopened store holds either the whole commit
// (revisions, etags, values, change log) or none of it, and still writes.
// A commit that returned OK is always there, in kBuffered too.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "batch_ingest.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "power_loss_fs.h"
#include "rocksdb/env.h"
#include "test_util.h"
#include "testing.h"

namespace cask {
namespace {

using engine_test::PowerLossFs;
using engine_test::RevisionOf;
using engine_test::TempDir;

// Just enough puts for the group to be ingested (a put writes a meta and a
// log record).
constexpr int kBulkKeys = engine::kIngestMinRecords / 2 + 10;
// Keys written before the bulk commit, which overwrites them.
constexpr int kOldKeys = 3;

std::string Key(int i) { return absl::StrFormat("crash:%06d", i); }
std::string BulkValue(int i) { return absl::StrCat("bulk", i); }

EngineOptions Buffered() {
  EngineOptions o;
  o.durability = Durability::kBuffered;
  return o;
}

std::unique_ptr<Engine> Open(const std::string& path, rocksdb::Env* env) {
  absl::StatusOr<std::unique_ptr<Engine>> e =
      engine::TEST_OpenEngineWithEnv(path, Buffered(), env);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return *std::move(e);
}

Batch BulkBatch() {
  Batch batch;
  for (int i = 0; i < kBulkKeys; ++i) batch.Put(Key(i), BulkValue(i));
  return batch;
}

// What a reopened store holds of the bulk commit: every record (true) or
// none (false); anything in between fails the test.
bool CheckAllOrNothing(Engine& e, std::uint64_t before) {
  absl::StatusOr<Item> last = e.Get(Key(kBulkKeys - 1));
  const bool all = last.ok();
  if (!all) REQUIRE(last.status().code() == absl::StatusCode::kNotFound);
  for (int i = 0; i < kBulkKeys; ++i) {
    absl::StatusOr<Item> item = e.Get(Key(i));
    INFO(Key(i) << ": " << item.status().ToString());
    if (all) {
      REQUIRE(item.ok());
      REQUIRE(item->value == BulkValue(i));
      REQUIRE(RevisionOf(item->meta.etag) == before + 1 + i);
    } else if (i < kOldKeys) {
      REQUIRE(item.ok());
      REQUIRE(item->value == "old");
    } else {
      REQUIRE(item.status().code() == absl::StatusCode::kNotFound);
    }
  }
  absl::StatusOr<std::vector<ChangeEvent>> log =
      e.Changes(before, kBulkKeys + 10);
  REQUIRE(log.ok());
  REQUIRE(log->size() == (all ? kBulkKeys : 0u));
  if (all) {
    REQUIRE(log->front().key == Key(0));
    REQUIRE(log->back().revision == before + kBulkKeys);
  }
  // After a power loss a buffered store may skip the rest of its revision
  // reservation (so no etag is ever issued twice), never go back.
  CHECK(e.revision() >= (all ? before + kBulkKeys : before));
  return all;
}

TEST_CASE("a bulk commit survives a power loss whole or not at all",
          "[bulk][faults]") {
  TempDir dir;
  auto fs = std::make_shared<PowerLossFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);

  // The store before the commit, closed cleanly: everything durable.
  const std::string pristine = dir.Sub("pristine");
  std::uint64_t before = 0;
  {
    absl::StatusOr<std::unique_ptr<Engine>> e =
        engine::TEST_OpenEngineWithEnv(pristine, Buffered(), env.get());
    REQUIRE(e.ok());
    for (int i = 0; i < kOldKeys; ++i) REQUIRE((*e)->Set(Key(i), "old").ok());
    before = (*e)->revision();
  }

  // A dry run counts the commit's durability steps.
  std::uint64_t steps = 0;
  {
    const std::string path = dir.Sub("dry");
    std::filesystem::copy(pristine, path,
                          std::filesystem::copy_options::recursive);
    fs->Reset();
    std::unique_ptr<Engine> e = Open(path, env.get());
    const std::uint64_t ingested = engine::TEST_IngestedGroups();
    const std::uint64_t at_start = fs->steps();
    absl::StatusOr<CommitResult> r = e->Commit(BulkBatch());
    REQUIRE(r.ok());
    steps = fs->steps() - at_start;
    REQUIRE(engine::TEST_IngestedGroups() == ingested + 1);
    CHECK(CheckAllOrNothing(*e, before));
  }
  INFO("durability steps of one bulk commit: " << steps);
  REQUIRE(steps > 0);

  int kept = 0, lost = 0;
  // One step past the count: the commit completes, then the power fails.
  for (std::uint64_t step = 1; step <= steps + 1; ++step) {
    INFO("power lost before step " << step << " of " << steps);
    const std::string path = dir.Sub(absl::StrCat("crash", step));
    std::filesystem::copy(pristine, path,
                          std::filesystem::copy_options::recursive);
    fs->Reset();
    bool acknowledged = false;
    {
      std::unique_ptr<Engine> e = Open(path, env.get());
      fs->CrashBeforeStep(step);
      absl::StatusOr<CommitResult> r = e->Commit(BulkBatch());
      acknowledged = r.ok();
      if (!acknowledged) {
        // A failure past the commit point must not claim nothing happened.
        INFO(r.status().ToString());
        CHECK(r.status().code() != absl::StatusCode::kAborted);
      }
      fs->Crash();
    }  // the engine's close fails: the power is off
    // ...and does not wait for flushes and compactions that cannot run
    // (the store replayed its WAL into memtables, so the ingestion flushed
    // them first, and that flush may have failed).
    REQUIRE(engine::TEST_CompactionWaitsTimedOut() == 0);
    fs->DropUnsyncedData();
    engine::TEST_SetBootId(absl::StrCat("bulk-crash-boot-", step));
    fs->Reset();

    std::unique_ptr<Engine> e = Open(path, env.get());
    const bool all = CheckAllOrNothing(*e, before);
    if (acknowledged) REQUIRE(all);
    (all ? kept : lost)++;
    // The store still writes, after whatever survived.
    absl::StatusOr<std::string> etag = e->Set(Key(0), "after");
    INFO(etag.status().ToString());
    REQUIRE(etag.ok());
    CHECK(RevisionOf(*etag) > (all ? before + kBulkKeys : before));
    e.reset();
    std::filesystem::remove_all(path);
  }
  // Both outcomes were reached: the crash points span the commit point.
  CHECK(kept > 0);
  CHECK(lost > 0);
}

}  // namespace
}  // namespace cask
