// The snapshot block: a Snapshot shows one state of the store whatever is
// written after it (Get and Scan, puts, deletes and clears), two snapshots
// show their own states, multi-key commits are seen whole or not at all;
// GetAt answers the value at a revision or kOutOfRange, never a wrong value.
// Stores without the capabilities must refuse with kUnimplemented.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "util.h"

namespace cask::conformance {
namespace {

bool SnapshotOrCheckRefusal(Driver& store) {
  if (store.capabilities().snapshot) return true;
  NoteSkippedBlock("snapshot",
                   "store declares no snapshot; asserting kUnimplemented");
  CASK_REQUIRE_CODE(store.OpenSnapshot(), absl::StatusCode::kUnimplemented);
  return false;
}

bool GetAtOrCheckRefusal(Driver& store) {
  if (store.capabilities().get_at) return true;
  NoteSkippedBlock("get_at",
                   "store declares no get_at; asserting kUnimplemented");
  MustSet(store, "k", "v");
  CASK_REQUIRE_CODE(store.GetAt("k", 1), absl::StatusCode::kUnimplemented);
  return false;
}

std::unique_ptr<Snapshot> MustSnapshot(Driver& store) {
  absl::StatusOr<std::unique_ptr<Snapshot>> s = store.OpenSnapshot();
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *std::move(s);
}

// Every entry under `base` through `snapshot`, `limit` per page.
std::vector<ScanEntry> ScanAll(Snapshot& snapshot, std::string_view base,
                               std::size_t limit) {
  std::vector<ScanEntry> all;
  ScanOptions options;
  options.limit = limit;
  options.with_values = true;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 1000);
    absl::StatusOr<ScanPage> page = snapshot.Scan(base, options);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    REQUIRE(page->entries.size() <= limit);
    for (ScanEntry& e : page->entries) all.push_back(std::move(e));
    if (page->next_after.empty()) return all;
    options.start_after = page->next_after;
  }
}

std::vector<std::string> KeysOf(const std::vector<ScanEntry>& entries) {
  std::vector<std::string> keys;
  for (const ScanEntry& e : entries) keys.push_back(e.key);
  return keys;
}

TEST_CASE("snapshot: later puts and deletes are invisible to Get",
          "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  std::string a_etag = MustSet(*store, "a", "1");
  MustSet(*store, "b", "2");
  auto snap = MustSnapshot(*store);
  MustSet(*store, "a", "10");
  MustSet(*store, "c", "3");
  CASK_REQUIRE_OK(store->Remove("b"));

  absl::StatusOr<Item> a = snap->Get("a");
  REQUIRE(a.ok());
  REQUIRE(a->value == "1");
  REQUIRE(a->meta.etag == a_etag);
  REQUIRE(snap->Get("b")->value == "2");
  CASK_REQUIRE_CODE(snap->Get("c"), absl::StatusCode::kNotFound);
  // The live store moved on.
  REQUIRE(MustGet(*store, "a") == "10");
  CASK_REQUIRE_CODE(store->Get("b"), absl::StatusCode::kNotFound);
}

TEST_CASE("snapshot: scan pages show the snapshot, not later writes",
          "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    std::string key = "obj:" + std::string(1, static_cast<char>('a' + i));
    MustSet(*store, key, "v" + std::to_string(i));
    expected.push_back(key);
  }
  MustSet(*store, "other", "x");
  auto snap = MustSnapshot(*store);
  // Between pages: new keys before, inside and after, deletes, updates.
  ScanOptions options;
  options.limit = 6;
  options.with_values = true;
  std::vector<ScanEntry> seen;
  for (int round = 0;; ++round) {
    REQUIRE(round < 100);
    absl::StatusOr<ScanPage> page = snap->Scan("obj", options);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    for (ScanEntry& e : page->entries) seen.push_back(std::move(e));
    MustSet(*store, "obj:" + std::to_string(round), "new");
    MustSet(*store, "obj:zz" + std::to_string(round), "new");
    if (!seen.empty()) {
      CASK_REQUIRE_OK(store->Remove(seen.back().key));
      MustSet(*store, seen.front().key, "changed");
    }
    if (page->next_after.empty()) break;
    options.start_after = page->next_after;
  }
  REQUIRE(KeysOf(seen) == expected);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    REQUIRE(seen[i].value == "v" + std::to_string(i));
    REQUIRE(seen[i].meta.size == seen[i].value.size());
  }
  // A second walk of the same snapshot gives the same answer.
  REQUIRE(KeysOf(ScanAll(*snap, "obj", 1)) == expected);
}

TEST_CASE("snapshot: a clear after it is invisible", "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  MustSet(*store, "d:1", "one");
  MustSet(*store, "d:2", "two");
  auto snap = MustSnapshot(*store);
  CASK_REQUIRE_OK(store->Clear(""));
  REQUIRE(store->Keys()->empty());
  REQUIRE(KeysOf(ScanAll(*snap, "", 10)) ==
          std::vector<std::string>{"d:1", "d:2"});
  REQUIRE(snap->Get("d:2")->value == "two");
}

TEST_CASE("snapshot: two snapshots show their own states", "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  MustSet(*store, "k", "old");
  auto first = MustSnapshot(*store);
  MustSet(*store, "k", "new");
  MustSet(*store, "only-second", "x");
  auto second = MustSnapshot(*store);
  CASK_REQUIRE_OK(store->Remove("k"));

  REQUIRE(first->Get("k")->value == "old");
  REQUIRE(second->Get("k")->value == "new");
  CASK_REQUIRE_CODE(first->Get("only-second"), absl::StatusCode::kNotFound);
  REQUIRE(second->Get("only-second")->value == "x");
  REQUIRE(KeysOf(ScanAll(*first, "", 10)) == std::vector<std::string>{"k"});
  REQUIRE(KeysOf(ScanAll(*second, "", 10)) ==
          std::vector<std::string>{"k", "only-second"});
  REQUIRE(first->revision() <= second->revision());
  if (store->capabilities().get_at) {
    REQUIRE(first->revision() < second->revision());
  }
  // Dropping one leaves the other intact.
  first.reset();
  REQUIRE(second->Get("k")->value == "new");
}

TEST_CASE("snapshot: argument checks and an empty store", "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  auto snap = MustSnapshot(*store);
  CASK_REQUIRE_CODE(snap->Get("absent"), absl::StatusCode::kNotFound);
  CASK_REQUIRE_CODE(snap->Get(""), absl::StatusCode::kInvalidArgument);
  ScanOptions zero;
  zero.limit = 0;
  CASK_REQUIRE_CODE(snap->Scan("", zero), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ScanPage> page = snap->Scan("");
  REQUIRE(page.ok());
  REQUIRE(page->entries.empty());
  REQUIRE(page->next_after.empty());
}

TEST_CASE("snapshot: a multi-key commit is seen whole or not at all",
          "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  if (!store->capabilities().atomic_batch) {
    NoteSkippedBlock("snapshot of commits", "store declares no atomic_batch");
    return;
  }
  MustSet(*store, "pair:x", "0");
  MustSet(*store, "pair:y", "0");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int n = 1; n <= 40 && !stop.load(); ++n) {
      Batch batch;
      batch.Put("pair:x", std::to_string(n)).Put("pair:y", std::to_string(n));
      if (!store->Commit(batch).ok()) failures.fetch_add(1);
    }
  });
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<Snapshot>> snap = store->OpenSnapshot();
    if (!snap.ok()) {
      stop.store(true);
      writer.join();
      FAIL(snap.status().ToString());
    }
    absl::StatusOr<Item> x = (*snap)->Get("pair:x");
    absl::StatusOr<Item> y = (*snap)->Get("pair:y");
    std::vector<ScanEntry> both = ScanAll(**snap, "pair", 1);
    if (!x.ok() || !y.ok() || x->value != y->value || both.size() != 2 ||
        both[0].value != x->value || both[1].value != x->value) {
      stop.store(true);
      writer.join();
      FAIL("snapshot shows half a commit");
    }
  }
  writer.join();
  REQUIRE(failures.load() == 0);
}

TEST_CASE("snapshot: its revision matches the store's", "[snapshot]") {
  auto store = MakeStore();
  if (!SnapshotOrCheckRefusal(*store)) return;
  const std::uint64_t r1 = [&] {
    MustSet(*store, "r", "1");
    return store->GetMeta("r")->revision;
  }();
  if (r1 == 0) {
    NoteSkippedBlock("snapshot revision", "store has no revisions");
    REQUIRE(MustSnapshot(*store)->revision() == 0);
    return;
  }
  absl::StatusOr<std::uint64_t> before = store->CurrentRevision();
  auto snap = MustSnapshot(*store);
  REQUIRE(snap->revision() >= r1);
  MustSet(*store, "r", "2");
  REQUIRE(store->GetMeta("r")->revision > snap->revision());
  REQUIRE(snap->Get("r")->value == "1");
  if (store->capabilities().watch) {
    // Exactly the store's revision, and every change after it is a write
    // the snapshot cannot see.
    REQUIRE(before.ok());
    REQUIRE(snap->revision() == *before);
    absl::StatusOr<std::vector<ChangeEvent>> later =
        store->Changes(snap->revision(), 10);
    REQUIRE(later.ok());
    REQUIRE(later->size() == 1);
  }
}

TEST_CASE("get_at: the value at a revision, or kOutOfRange", "[snapshot]") {
  auto store = MakeStore();
  if (!GetAtOrCheckRefusal(*store)) return;
  MustSet(*store, "before", "x");
  const std::uint64_t r0 = store->GetMeta("before")->revision;
  MustSet(*store, "k", "v1");
  const std::uint64_t r1 = store->GetMeta("k")->revision;
  REQUIRE(r1 > r0);
  MustSet(*store, "unrelated", "u");

  // Untouched since r1: every revision from r1 on answers v1.
  REQUIRE(store->GetAt("k", r1)->value == "v1");
  const std::uint64_t now = store->GetMeta("unrelated")->revision;
  absl::StatusOr<Item> at_now = store->GetAt("k", now);
  REQUIRE(at_now.ok());
  REQUIRE(at_now->value == "v1");
  REQUIRE(at_now->meta.revision == r1);
  // Absent before it was written.
  CASK_REQUIRE_CODE(store->GetAt("k", r0), absl::StatusCode::kNotFound);

  MustSet(*store, "k", "v2");
  const std::uint64_t r2 = store->GetMeta("k")->revision;
  REQUIRE(store->GetAt("k", r2)->value == "v2");
  // An overwritten value: the old one where the store keeps history, else
  // kOutOfRange; never the new value.
  absl::StatusOr<Item> old = store->GetAt("k", r1);
  if (old.ok()) {
    REQUIRE(old->value == "v1");
  } else {
    CASK_REQUIRE_CODE(old, absl::StatusCode::kOutOfRange);
  }

  CASK_REQUIRE_OK(store->Remove("k"));
  MustSet(*store, "after", "y");
  const std::uint64_t r3 = store->GetMeta("after")->revision;
  CASK_REQUIRE_CODE(store->GetAt("k", r3), absl::StatusCode::kNotFound);
  // Ahead of the store.
  CASK_REQUIRE_CODE(store->GetAt("k", r3 + 1'000'000),
                    absl::StatusCode::kOutOfRange);
  absl::StatusOr<Item> removed = store->GetAt("k", r2);
  if (removed.ok()) {
    REQUIRE(removed->value == "v2");
  } else {
    CASK_REQUIRE_CODE(removed, absl::StatusCode::kOutOfRange);
  }
  CASK_REQUIRE_CODE(store->GetAt("", r2), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cask::conformance
