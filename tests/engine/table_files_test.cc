// Short-lived writers (each `cask set` is a process that opens the store,
// writes once and closes it) must not grow the number of table files
// without bound: an open that flushes the WAL makes new level-0 files, and
// RocksDB moves files whose keys do not overlap down to the last level
// without merging them, so nothing else ever would. Nor the number of WAL
// files: an open that replays them without flushing keeps them all and
// starts one more.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "test_util.h"

namespace cask {
namespace {

using engine_test::TempDir;

int FileCount(const std::string& dir, const char* suffix) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (absl::EndsWith(f.path().filename().string(), suffix)) ++n;
  }
  return n;
}

// Opens the store, writes `key` and closes it, as one CLI process does.
std::string WriteInOwnSession(const std::string& path, const std::string& key,
                              const std::string& value) {
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  absl::StatusOr<std::string> etag = (*e)->Set(key, value);
  INFO(etag.status().ToString());
  REQUIRE(etag.ok());
  return *etag;
}

TEST_CASE("short-lived writers leave a bounded number of table files",
          "[files]") {
  // Each session writes a new key after every other (the change log's keys
  // always are), so no two sessions' files overlap. The bounds do not
  // depend on the number of sessions (a few files per column family; a few
  // WAL files); without merging, 50 sessions leave about 100 table files,
  // and without a bound on the WAL files replayed, 50 WAL files.
  constexpr int kSessions = 50;
  constexpr int kMaxTableFiles = 30;
  constexpr int kMaxWalFiles = 10;
  TempDir dir;
  const std::string path = dir.Sub("s");
  std::vector<std::string> etags;
  int most = 0, most_wals = 0;
  for (int i = 0; i < kSessions; ++i) {
    etags.push_back(WriteInOwnSession(path, absl::StrFormat("k%05d", i),
                                      absl::StrCat("v", i)));
    most = std::max(most, FileCount(path, ".sst"));
    most_wals = std::max(most_wals, FileCount(path, ".log"));
  }
  INFO("most table files seen: " << most << ", WAL files: " << most_wals);
  REQUIRE(most <= kMaxTableFiles);
  REQUIRE(most_wals <= kMaxWalFiles);

  // Merging lost nothing: every value is there with the etag it was given.
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
  REQUIRE(e.ok());
  for (int i = 0; i < kSessions; ++i) {
    absl::StatusOr<Item> item = (*e)->Get(absl::StrFormat("k%05d", i));
    INFO(item.status().ToString());
    REQUIRE(item.ok());
    REQUIRE(item->value == absl::StrCat("v", i));
    REQUIRE(item->meta.etag == etags[i]);
  }
  absl::StatusOr<std::vector<ChangeEvent>> log = (*e)->Changes(0, 1u << 20);
  REQUIRE(log.ok());
  REQUIRE(log->size() == static_cast<std::size_t>(kSessions));
}

std::uintmax_t WalBytes(const std::string& dir) {
  std::uintmax_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (absl::EndsWith(f.path().filename().string(), ".log")) {
      bytes += f.file_size();
    }
  }
  return bytes;
}

TEST_CASE("a store closed after large writes leaves them in table files",
          "[files]") {
  // Otherwise every later read-only open (a one-shot `cask get`) replays
  // them from the WAL. 10,000 keys of 100 bytes: over a megabyte of WAL.
  TempDir dir;
  const std::string path = dir.Sub("s");
  {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
    REQUIRE(e.ok());
    Batch batch;
    for (int i = 0; i < 10000; ++i) {
      batch.Put(absl::StrFormat("k%05d", i), std::string(100, 'v'));
    }
    absl::StatusOr<CommitResult> r = (*e)->Commit(batch);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    REQUIRE(WalBytes(path) > (1u << 20));
  }
  REQUIRE(WalBytes(path) < (64u << 10));
  EngineOptions reading;
  reading.read_only = true;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, reading);
  REQUIRE(e.ok());
  REQUIRE((*e)->Get("k09999")->value == std::string(100, 'v'));
}

}  // namespace
}  // namespace cask
