// A commit large enough to be ingested as table files (batch_ingest.h)
// must leave exactly the store an ordinary commit leaves: revisions and
// etags, the change log, overwritten inline, out-of-line and expiring
// values, preconditions all-or-nothing, and everything still there after a
// reopen.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "batch_ingest.h"
#include "cask/engine.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "test_util.h"
#include "testing.h"

namespace cask {
namespace {

using engine_test::RevisionOf;
using engine_test::TempDir;

// Enough puts for the group to reach kIngestMinRecords (a put writes a
// meta and a log record).
constexpr int kBulkKeys = engine::kIngestMinRecords / 2 + 100;

std::string BulkKey(int i) { return absl::StrFormat("bulk:%06d", i); }

std::unique_ptr<Engine> OpenStore(const std::string& path) {
  EngineOptions o;
  o.durability = Durability::kBuffered;
  o.min_blob_size = 1024;  // so the test can write an out-of-line value
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return *std::move(e);
}

Batch BulkBatch(const std::string& prefix) {
  Batch batch;
  for (int i = 0; i < kBulkKeys; ++i) {
    batch.Put(BulkKey(i), absl::StrFormat("%s%d", prefix, i));
  }
  return batch;
}

TEST_CASE("opening a store removes the files of an ingestion a crash cut",
          "[bulk]") {
  // A crash between writing an ingestion's files and removing them leaves
  // them (or hard links to live table files) in the store: the next open
  // reclaims that space rather than the next bulk commit, which may never
  // come.
  TempDir dir;
  const std::string path = dir.Sub("s");
  { REQUIRE(OpenStore(path)->Set("k", "v").ok()); }
  const std::filesystem::path scratch = engine::IngestScratchDir(path);
  std::filesystem::create_directories(scratch);
  { std::ofstream(scratch / "2.sst") << std::string(4096, 'x'); }
  std::unique_ptr<Engine> e = OpenStore(path);
  CHECK_FALSE(std::filesystem::exists(scratch));
  CHECK(e->Get("k")->value == "v");
}

TEST_CASE("a bulk commit is ingested and reads like any commit", "[bulk]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  std::unique_ptr<Engine> e = OpenStore(path);
  // Written before through the memtable: an inline value, an out-of-line
  // one, and one with a ttl, all overwritten by the bulk commit below.
  REQUIRE(e->Set(BulkKey(1), "small").ok());
  REQUIRE(e->Set(BulkKey(2), std::string(4096, 'x')).ok());
  WriteOptions with_ttl;
  with_ttl.ttl = absl::Seconds(1);
  REQUIRE(e->Set(BulkKey(3), "expiring", with_ttl).ok());
  const std::uint64_t before = e->revision();

  const std::uint64_t ingested = engine::TEST_IngestedGroups();
  absl::StatusOr<CommitResult> r = e->Commit(BulkBatch("v"));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(engine::TEST_IngestedGroups() == ingested + 1);
  REQUIRE(r->etags.size() == kBulkKeys);
  CHECK(r->revision == before + kBulkKeys);
  CHECK(e->revision() == r->revision);
  CHECK(RevisionOf(r->etags[0]) == before + 1);
  CHECK(RevisionOf(r->etags.back()) == r->revision);

  for (int i : {0, 1, 2, 3, kBulkKeys - 1}) {
    absl::StatusOr<Item> item = e->Get(BulkKey(i));
    INFO(BulkKey(i) << ": " << item.status().ToString());
    REQUIRE(item.ok());
    CHECK(item->value == absl::StrFormat("v%d", i));
    CHECK(item->meta.etag == r->etags[i]);
  }
  // The old ttl no longer applies to the overwritten key.
  absl::SleepFor(absl::Milliseconds(1200));
  REQUIRE(e->RunMaintenance().ok());
  CHECK(e->Get(BulkKey(3)).ok());

  // The change log holds one put per key, in batch order, with the etags
  // the commit returned.
  absl::StatusOr<std::vector<ChangeEvent>> events =
      e->Changes(before, kBulkKeys + 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == kBulkKeys);
  for (int i = 0; i < kBulkKeys; ++i) {
    const ChangeEvent& event = (*events)[i];
    INFO("change " << i);
    REQUIRE(event.key == BulkKey(i));
    REQUIRE(event.revision == before + 1 + i);
    REQUIRE(event.etag == r->etags[i]);
    REQUIRE(event.kind == ChangeKind::kPut);
  }
  // Every key carries the etag the commit returned for it.
  for (int i = 0; i < kBulkKeys; ++i) {
    absl::StatusOr<Meta> meta = e->GetMeta(BulkKey(i));
    REQUIRE(meta.ok());
    REQUIRE(meta->etag == r->etags[i]);
  }

  // Ordinary writes continue after the ingested revisions.
  absl::StatusOr<std::string> next = e->Set(BulkKey(0), "after");
  REQUIRE(next.ok());
  CHECK(RevisionOf(*next) == r->revision + 1);

  e.reset();
  e = OpenStore(path);
  CHECK(e->revision() == r->revision + 1);
  absl::StatusOr<Item> item = e->Get(BulkKey(kBulkKeys - 1));
  REQUIRE(item.ok());
  CHECK(item->meta.etag == r->etags.back());
  absl::StatusOr<Item> first = e->Get(BulkKey(0));
  REQUIRE(first.ok());
  CHECK(first->value == "after");
  absl::StatusOr<Item> big = e->Get(BulkKey(2));
  REQUIRE(big.ok());
  CHECK(big->value == "v2");
}

TEST_CASE("a bulk commit over an ingested one wins after reopen and compaction",
          "[bulk]") {
  // The second ingestion overlaps the first, so RocksDB gives its files a
  // newer sequence number, kept in the MANIFEST only (not written into the
  // files): the newer values must win after a reopen and after the
  // compaction that rewrites both, for both designs of the files.
  for (const bool compressed : {false, true}) {
    INFO("compressed ingested files: " << compressed);
    engine::TEST_SetCompressedIngestion(compressed);
    TempDir dir;
    const std::string path = dir.Sub("s");
    std::unique_ptr<Engine> e = OpenStore(path);
    const std::uint64_t ingested = engine::TEST_IngestedGroups();
    REQUIRE(e->Commit(BulkBatch("first")).ok());
    absl::StatusOr<CommitResult> second = e->Commit(BulkBatch("second"));
    REQUIRE(second.ok());
    REQUIRE(engine::TEST_IngestedGroups() == ingested + 2);
    for (int round = 0; round < 2; ++round) {
      e.reset();
      e = OpenStore(path);
      if (round == 1) REQUIRE(e->Compact().ok());
      for (int i : {0, 1, kBulkKeys / 2, kBulkKeys - 1}) {
        absl::StatusOr<Item> item = e->Get(BulkKey(i));
        INFO(BulkKey(i) << " round " << round << ": "
                        << item.status().ToString());
        REQUIRE(item.ok());
        CHECK(item->value == absl::StrFormat("second%d", i));
        CHECK(item->meta.etag == second->etags[i]);
      }
    }
  }
  engine::TEST_SetCompressedIngestion(false);
}

TEST_CASE("a bulk commit with a failed precondition writes nothing", "[bulk]") {
  TempDir dir;
  std::unique_ptr<Engine> e = OpenStore(dir.Sub("s"));
  REQUIRE(e->Set(BulkKey(5), "taken").ok());
  const std::uint64_t before = e->revision();
  Batch batch = BulkBatch("v");
  batch.mutable_ops()[5].options.precondition = Precondition::CreateOnly();
  absl::StatusOr<CommitResult> r = e->Commit(batch);
  CHECK(r.status().code() == absl::StatusCode::kAborted);
  CHECK(e->revision() == before);
  CHECK(e->Get(BulkKey(0)).status().code() == absl::StatusCode::kNotFound);
  absl::StatusOr<Item> kept = e->Get(BulkKey(5));
  REQUIRE(kept.ok());
  CHECK(kept->value == "taken");
}

// A bulk commit and a single CAS write race for the same key with the same
// If-Match: the precondition is checked in the write queue against the
// state that includes every earlier request, so exactly one of them wins
// and the store shows that one, whichever path wrote it.
TEST_CASE("a bulk commit's preconditions are checked atomically", "[bulk]") {
  TempDir dir;
  std::unique_ptr<Engine> e = OpenStore(dir.Sub("s"));
  const std::uint64_t ingested = engine::TEST_IngestedGroups();
  std::uint64_t bulk_wins = 0;
  // The single writer starts later and later, so that either may win;
  // whichever does, the assertions below hold.
  const int delays_ms[] = {0, 0, 2, 10, 50, 200};
  for (int round = 0; round < 6; ++round) {
    INFO("round " << round);
    const std::string contested = absl::StrFormat("contested:%d", round);
    absl::StatusOr<std::string> seen = e->Set(contested, "old");
    REQUIRE(seen.ok());
    Batch batch = BulkBatch(absl::StrFormat("r%d-", round));
    WriteOptions if_seen;
    if_seen.precondition = Precondition::IfMatch(*seen);
    batch.Put(contested, "bulk", if_seen);

    absl::StatusOr<CommitResult> bulk = absl::UnknownError("not run");
    absl::StatusOr<std::string> single = absl::UnknownError("not run");
    std::atomic<int> ready{0};
    auto await_both = [&ready] {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
    };
    std::thread bulk_writer([&] {
      await_both();
      bulk = e->Commit(batch);
    });
    std::thread single_writer([&] {
      await_both();
      absl::SleepFor(absl::Milliseconds(delays_ms[round]));
      single = e->Set(contested, "single", if_seen);
    });
    bulk_writer.join();
    single_writer.join();

    INFO("bulk: " << bulk.status().ToString()
                  << ", single: " << single.status().ToString());
    REQUIRE(bulk.ok() != single.ok());
    absl::StatusOr<Item> now = e->Get(contested);
    REQUIRE(now.ok());
    absl::StatusOr<Item> first = e->Get(BulkKey(0));
    if (bulk.ok()) {
      ++bulk_wins;
      CHECK(single.status().code() == absl::StatusCode::kAborted);
      CHECK(now->value == "bulk");
      CHECK(now->meta.etag == bulk->etags.back());
      REQUIRE(first.ok());
      CHECK(first->value == absl::StrFormat("r%d-0", round));
    } else {
      CHECK(bulk.status().code() == absl::StatusCode::kAborted);
      CHECK(now->value == "single");
      CHECK(now->meta.etag == *single);
      // Nothing of the losing bulk commit was written.
      if (bulk_wins == 0) {
        CHECK(first.status().code() == absl::StatusCode::kNotFound);
      } else {
        REQUIRE(first.ok());
        CHECK(first->value != absl::StrFormat("r%d-0", round));
      }
    }
  }
  // Each winning bulk commit was ingested, a losing one never reached it.
  CHECK(engine::TEST_IngestedGroups() == ingested + bulk_wins);
}

// After a reopen (nothing in the engine's recent-writes cache) a large
// commit's preconditions read the stored records: every If-Match and
// create-only holds or fails on exactly the stored etags, in any batch
// order, and one stale etag refuses the whole commit.
TEST_CASE("a large commit checks every precondition against the store",
          "[bulk]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  constexpr int kKeys = 300;
  // Every third key is absent; the others are stored with these etags.
  std::vector<std::string> etags(kKeys);
  {
    std::unique_ptr<Engine> e = OpenStore(path);
    for (int i = 0; i < kKeys; ++i) {
      if (i % 3 == 0) continue;
      absl::StatusOr<std::string> etag = e->Set(BulkKey(i), "old");
      REQUIRE(etag.ok());
      etags[i] = *etag;
    }
  }
  std::unique_ptr<Engine> e = OpenStore(path);
  // In reverse key order; `stale` (if any) carries a wrong etag.
  auto batch_with = [&](int stale) {
    Batch batch;
    for (int i = kKeys - 1; i >= 0; --i) {
      WriteOptions w;
      if (i == stale) {
        w.precondition = Precondition::IfMatch(etags[i] + "x");
      } else if (i % 3 == 0) {
        w.precondition = Precondition::CreateOnly();
      } else {
        w.precondition = Precondition::IfMatch(etags[i]);
      }
      batch.Put(BulkKey(i), "new", w);
    }
    return batch;
  };
  absl::StatusOr<CommitResult> refused = e->Commit(batch_with(kKeys / 2 + 1));
  INFO(refused.status().ToString());
  REQUIRE(refused.status().code() == absl::StatusCode::kAborted);
  CHECK(absl::StrContains(refused.status().message(), BulkKey(kKeys / 2 + 1)));
  CHECK(e->Get(BulkKey(1))->value == "old");
  CHECK(e->Get(BulkKey(0)).status().code() == absl::StatusCode::kNotFound);
  absl::StatusOr<CommitResult> done = e->Commit(batch_with(-1));
  INFO(done.status().ToString());
  REQUIRE(done.ok());
  CHECK(e->Get(BulkKey(0))->value == "new");
  CHECK(e->Get(BulkKey(kKeys - 1))->value == "new");
  // Created keys now exist: the same create-only commit is refused.
  CHECK(e->Commit(batch_with(-1)).status().code() ==
        absl::StatusCode::kAborted);
}

}  // namespace
}  // namespace cask
