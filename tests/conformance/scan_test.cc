// Paged scans (Driver::Scan): order, paging, bounds, reserved and expired
// keys, values read with their metadata, and writes during a scan.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "util.h"

namespace cask::conformance {
namespace {

using Keys = std::vector<std::string>;

ScanOptions Options(std::size_t limit, std::string start_after = "",
                    bool with_values = false) {
  ScanOptions options;
  options.start_after = std::move(start_after);
  options.limit = limit;
  options.with_values = with_values;
  return options;
}

// False (with a loud note) when the store answers kUnimplemented: it has no
// scan yet, and the block is reported as skipped, never as passed.
bool CanScan(Driver& store) {
  absl::StatusOr<ScanPage> page = store.Scan("", Options(1));
  if (page.status().code() == absl::StatusCode::kUnimplemented) {
    NoteSkippedBlock("scan", std::string(page.status().message()));
    return false;
  }
  CASK_REQUIRE_OK(page.status());
  return true;
}

ScanPage MustScan(Driver& store, std::string_view base,
                  const ScanOptions& options) {
  absl::StatusOr<ScanPage> page = store.Scan(base, options);
  INFO("scan " << base << " after " << options.start_after << " limit "
               << options.limit << ": " << page.status().ToString());
  REQUIRE(page.ok());
  // Bounded: a page never holds more than asked for, in strict key order,
  // every key past start_after.
  REQUIRE(page->entries.size() <= options.limit);
  std::string previous = options.start_after;
  for (const ScanEntry& e : page->entries) {
    INFO("key " << e.key << " after " << previous);
    REQUIRE(e.key > previous);
    previous = e.key;
  }
  if (!options.with_values) {
    for (const ScanEntry& e : page->entries) REQUIRE(e.value.empty());
  }
  return *std::move(page);
}

// Every entry under `base`, page by page.
std::vector<ScanEntry> ScanAll(Driver& store, std::string_view base,
                               std::size_t limit, bool with_values = false,
                               std::string start_after = "") {
  std::vector<ScanEntry> all;
  ScanOptions options = Options(limit, std::move(start_after), with_values);
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 10000);  // a scan that never ends is a defect
    ScanPage page = MustScan(store, base, options);
    for (ScanEntry& e : page.entries) all.push_back(std::move(e));
    if (page.next_after.empty()) break;
    REQUIRE(page.next_after > options.start_after);
    options.start_after = std::move(page.next_after);
  }
  return all;
}

Keys KeysOf(const std::vector<ScanEntry>& entries) {
  Keys keys;
  for (const ScanEntry& e : entries) keys.push_back(e.key);
  return keys;
}

// Keys whose bytewise order differs from a locale's, and LIKE's wildcards.
const Keys kOrderKeys = {"A",      "a",    "a-b", "a:b",      "a_b",  "p%:x",
                         "p_:x",   "pa:x", "s1",  "s10:a",    "s1:a", "s1:b",
                         "s1:c:d", "s2:a", "zz",  "z\xc3\xa9"};

TEST_CASE("scan: keys in bytewise order, under the base only", "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  for (const std::string& k : kOrderKeys) MustSet(*store, k, "v:" + k);
  Keys sorted = kOrderKeys;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(KeysOf(ScanAll(*store, "", 1000)) == sorted);
  REQUIRE(KeysOf(ScanAll(*store, "s1", 1000)) ==
          Keys{"s1:a", "s1:b", "s1:c:d"});
  REQUIRE(KeysOf(ScanAll(*store, "/s1/c/", 1000)) == Keys{"s1:c:d"});
  REQUIRE(KeysOf(ScanAll(*store, "p_", 1000)) == Keys{"p_:x"});
  REQUIRE(KeysOf(ScanAll(*store, "p%", 1000)) == Keys{"p%:x"});
  REQUIRE(KeysOf(ScanAll(*store, "a", 1000)) == Keys{"a:b"});
  REQUIRE(ScanAll(*store, "nothing", 1000).empty());
  // Keys agrees with a full scan.
  REQUIRE(*store->Keys() == sorted);
  // Metadata is the key's own.
  for (const ScanEntry& e : ScanAll(*store, "", 1000)) {
    absl::StatusOr<Meta> meta = store->GetMeta(e.key);
    REQUIRE(meta.ok());
    REQUIRE(e.meta.etag == meta->etag);
    REQUIRE(e.meta.size == meta->size);
    REQUIRE(e.meta.size == e.key.size() + 2);
  }
}

TEST_CASE("scan: paging with every limit gives every key once", "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  Keys expected;
  for (int i = 0; i < 9; ++i) {
    expected.push_back(absl::StrCat("p:k", i));
    MustSet(*store, expected.back(), "v");
  }
  MustSet(*store, "p", "outside");
  MustSet(*store, "q:k", "outside");
  for (std::size_t limit = 1; limit <= expected.size() + 1; ++limit) {
    INFO("limit " << limit);
    REQUIRE(KeysOf(ScanAll(*store, "p", limit)) == expected);
  }
  // Only an empty next_after ends a scan; one past the last key ends at
  // once.
  ScanPage last = MustScan(*store, "p", Options(1000, "p:k8"));
  REQUIRE(last.entries.empty());
  REQUIRE(last.next_after.empty());
}

TEST_CASE("scan: start_after need not exist nor lie under the base", "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  for (const char* k : {"b:1", "b:3", "b:5", "a:9", "c:0"}) {
    MustSet(*store, k, "v");
  }
  REQUIRE(KeysOf(ScanAll(*store, "b", 2, false, "b:2")) == Keys{"b:3", "b:5"});
  REQUIRE(KeysOf(ScanAll(*store, "b", 2, false, "b:3")) == Keys{"b:5"});
  // Before the base: from its first key. After it: nothing.
  REQUIRE(KeysOf(ScanAll(*store, "b", 2, false, "a:9")) ==
          Keys{"b:1", "b:3", "b:5"});
  REQUIRE(KeysOf(ScanAll(*store, "b", 2, false, "b")) ==
          Keys{"b:1", "b:3", "b:5"});
  REQUIRE(ScanAll(*store, "b", 2, false, "c").empty());
  REQUIRE(ScanAll(*store, "b", 2, false, "b:6:x").empty());
  // start_after is normalised like a key.
  REQUIRE(KeysOf(ScanAll(*store, "b", 2, false, "/b/3/")) == Keys{"b:5"});
}

TEST_CASE("scan: bad arguments are invalid", "[scan][scan-args]") {
  auto store = MakeStore();
  CASK_REQUIRE_CODE(store->Scan("", Options(0)),
                    absl::StatusCode::kInvalidArgument);
  CASK_REQUIRE_CODE(store->Scan("a:..:b"), absl::StatusCode::kInvalidArgument);
  CASK_REQUIRE_CODE(store->Scan("a", Options(10, "x:..:y")),
                    absl::StatusCode::kInvalidArgument);
  CASK_REQUIRE_CODE(store->Scan("a", Options(10, std::string("x\0y", 3))),
                    absl::StatusCode::kInvalidArgument);
}

TEST_CASE("scan: the reserved key space shows only under its own base",
          "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  MustSet(*store, ".cask:sync:x", "state");
  MustSet(*store, "-a", "v");
  MustSet(*store, "a", "v");
  REQUIRE(KeysOf(ScanAll(*store, "", 1)) == Keys{"-a", "a"});
  REQUIRE(KeysOf(ScanAll(*store, "", 1000)) == Keys{"-a", "a"});
  REQUIRE(KeysOf(ScanAll(*store, ".cask", 1)) == Keys{".cask:sync:x"});
}

TEST_CASE("scan: expired keys are never listed", "[scan][ttl]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  if (!store->capabilities().ttl) {
    NoteSkippedBlock("scan ttl", "store has no ttl capability");
    return;
  }
  absl::Duration g = CurrentTarget().ttl_granularity;
  WriteOptions opts;
  opts.ttl = g * 2;
  for (const char* k : {"t:a", "t:c", "t:e"}) MustSet(*store, k, "v", opts);
  for (const char* k : {"t:b", "t:d"}) MustSet(*store, k, "v");
  absl::SleepFor(g * 2 + g * 3);
  REQUIRE(KeysOf(ScanAll(*store, "t", 1)) == Keys{"t:b", "t:d"});
  REQUIRE(KeysOf(ScanAll(*store, "", 1000, true)) == Keys{"t:b", "t:d"});
}

TEST_CASE("scan: values match Get, with their metadata", "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  std::map<std::string, std::string> values;
  values["v:empty"] = "";
  values["v:nul"] = std::string("a\0b\xff", 4);
  values["v:text"] = "hello";
  for (const auto& [k, v] : values) MustSet(*store, k, v);
  std::string raw;
  for (int i = 0; i < 256; ++i) raw.push_back(static_cast<char>(i));
  values["v:bytes"] = raw;
  MustSet(*store, "v:bytes", raw);
  for (std::size_t limit : {std::size_t{1}, std::size_t{3}, std::size_t{100}}) {
    std::vector<ScanEntry> all = ScanAll(*store, "v", limit, true);
    REQUIRE(all.size() == values.size());
    for (const ScanEntry& e : all) {
      INFO("key " << e.key);
      absl::StatusOr<Item> item = store->Get(e.key);
      REQUIRE(item.ok());
      REQUIRE(e.value == values[e.key]);
      REQUIRE(e.value == item->value);
      REQUIRE(e.meta.etag == item->meta.etag);
      REQUIRE(e.meta.size == e.value.size());
    }
  }
  // Without values, entries carry metadata only.
  for (const ScanEntry& e : ScanAll(*store, "v", 2)) {
    REQUIRE(e.value.empty());
    REQUIRE(e.meta.size == values[e.key].size());
  }
}

TEST_CASE("scan: writes during a paged scan never repeat a key", "[scan]") {
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  Keys untouched;
  for (int i = 0; i < 8; ++i) {
    std::string k = absl::StrCat("w:k", i);
    MustSet(*store, k, "v");
    if (i != 0 && i != 5 && i != 6) untouched.push_back(k);
  }
  std::vector<std::string> seen;
  ScanOptions options = Options(2);
  for (int page_no = 0;; ++page_no) {
    REQUIRE(page_no < 100);
    ScanPage page = MustScan(*store, "w", options);
    for (const ScanEntry& e : page.entries) seen.push_back(e.key);
    if (page_no == 0) {
      // Between pages: rewrite a key already listed and one still ahead,
      // create keys behind and ahead of the cursor, remove one ahead.
      MustSet(*store, "w:k0", "again");
      MustSet(*store, "w:k5", "changed");
      MustSet(*store, "w:k0a", "new, behind");
      MustSet(*store, "w:k4a", "new, ahead");
      CASK_REQUIRE_OK(store->Remove("w:k6"));
    }
    if (page.next_after.empty()) break;
    options.start_after = page.next_after;
  }
  std::set<std::string> distinct(seen.begin(), seen.end());
  REQUIRE(distinct.size() == seen.size());
  for (const std::string& k : untouched) REQUIRE(distinct.count(k) == 1);
  REQUIRE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("scan: resuming where a digit and ':' continue one prefix",
          "[scan]") {
  // Stores that name objects with '/' for ':' list "a1/x" before "a10",
  // the other way round from key order; resuming at "a12:y" must still
  // find "a1:x" (its name sorts before the resume point).
  auto store = MakeStore();
  if (!CanScan(*store)) return;
  const Keys keys = {"a1", "a1-b", "a10", "a12:y", "a1:x", "a1:x:z", "a2"};
  for (const std::string& k : keys) MustSet(*store, k, "v");
  REQUIRE(KeysOf(ScanAll(*store, "", 1)) == keys);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    INFO("after " << keys[i]);
    REQUIRE(KeysOf(ScanAll(*store, "", 2, false, keys[i])) ==
            Keys(keys.begin() + i + 1, keys.end()));
  }
  REQUIRE(KeysOf(ScanAll(*store, "a1", 1, false, "a1:w")) ==
          Keys{"a1:x", "a1:x:z"});
}

}  // namespace
}  // namespace cask::conformance
