// The fs store's paged scan over keys whose file names do not sort like
// the keys: escaped bytes, a key beside a directory of longer keys, and
// long segments cut into chunks (also inside an escape).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cask/key.h"
#include "catch2/catch.hpp"
#include "fs_path.h"
#include "fs_test_util.h"

namespace cask {
namespace {

using fs_internal::kMaxChunkBytes;
using fs_test::MustSet;
using fs_test::Open;
using fs_test::ScratchDir;
using Keys = std::vector<std::string>;

// Every key of a scan of `base`, `limit` per page; also checks each page.
Keys ScanKeys(Driver& store, std::string_view base, std::size_t limit,
              std::string start_after = "") {
  Keys keys;
  ScanOptions options;
  options.limit = limit;
  options.start_after = std::move(start_after);
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 1000);
    absl::StatusOr<ScanPage> page = store.Scan(base, options);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    REQUIRE(page->entries.size() <= limit);
    for (const ScanEntry& e : page->entries) keys.push_back(e.key);
    if (page->next_after.empty()) break;
    options.start_after = page->next_after;
  }
  return keys;
}

TEST_CASE("scan: keys come in key order, not file-name order", "[fs][scan]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  // A segment that fills a chunk exactly, and ones cut inside an escape:
  // "~" is "%7E" and "!" is "%21", so the first chunk ends in "%".
  const std::string full(kMaxChunkBytes, 'x');
  const std::string cut(kMaxChunkBytes - 1, 'x');
  Keys keys = {
      "a",        "a0",       "a:b",        "a:b:c",    "a~",      "a!",
      "b",        "~",        "%",          "A",        full,      full + ":c",
      full + "0", full + "~", full + "y:z", cut + "~",  cut + "!", cut + "~:d",
      cut + "0",  cut + "y",  cut,          cut + ":e",
  };
  for (const std::string& k : keys) MustSet(*store, k, "v:" + k);
  Keys sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t limit = 1; limit <= keys.size() + 1; ++limit) {
    INFO("limit " << limit);
    REQUIRE(ScanKeys(*store, "", limit) == sorted);
  }
  // From every key as start_after, and from between keys.
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    INFO("after " << sorted[i]);
    Keys rest(sorted.begin() + i + 1, sorted.end());
    REQUIRE(ScanKeys(*store, "", 3, sorted[i]) == rest);
    Keys from(sorted.begin() + i, sorted.end());
    std::string before = sorted[i];
    before.pop_back();
    absl::StatusOr<std::string> normal = NormalizeKey(before);
    if (normal.ok() && *normal == before &&
        (i == 0 || sorted[i - 1] < before)) {
      REQUIRE(ScanKeys(*store, "", 2, before) == from);
    }
  }
  REQUIRE(ScanKeys(*store, full, 1) == Keys{full + ":c"});
  REQUIRE(ScanKeys(*store, cut + "~", 1) == Keys{cut + "~:d"});
  REQUIRE(ScanKeys(*store, "a", 1) == Keys{"a:b", "a:b:c"});
}

TEST_CASE("scan: a damaged value file is kDataLoss, not skipped",
          "[fs][scan]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  MustSet(*store, "a", "v");
  MustSet(*store, "c", "v");
  std::ofstream(dir.root() + "/data/b~", std::ios::binary) << "not a header";
  absl::StatusOr<ScanPage> page = store->Scan("");
  REQUIRE(page.status().code() == absl::StatusCode::kDataLoss);
  // Pages that do not reach it still work; an overwrite repairs it.
  ScanOptions first;
  first.limit = 1;
  REQUIRE(store->Scan("", first).ok());
  MustSet(*store, "b", "repaired");
  REQUIRE(ScanKeys(*store, "", 1) == Keys{"a", "b", "c"});
}

}  // namespace
}  // namespace cask
