// A commit large enough to be ingested as table files (batch_ingest.h)
// must leave exactly the store an ordinary commit leaves: revisions and
// etags, the change log, overwritten inline, out-of-line and expiring
// values, preconditions all-or-nothing, and everything still there after a
// reopen.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
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

  // The change log holds one put per key, in batch order.
  absl::StatusOr<std::vector<ChangeEvent>> events = e->Changes(before, 3);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  CHECK((*events)[0].key == BulkKey(0));
  CHECK((*events)[0].revision == before + 1);
  CHECK((*events)[2].etag == r->etags[2]);

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

}  // namespace
}  // namespace cask
