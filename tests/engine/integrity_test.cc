// Regression tests of the engine's integrity promises: a store is never
// wiped, damage is never a silently smaller store, an etag is never issued
// twice (not even after a power failure), a read never creates a store,
// and open failures are explained from errno, not from message text.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "integrity_util.h"
#include "power_loss_fs.h"
#include "test_util.h"
#include "testing.h"

namespace cask {
namespace {

namespace fs = std::filesystem;
using engine_test::TempDir;

TEST_CASE("a missing CURRENT is DataLoss and nothing is deleted",
          "[integrity]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  engine_test::MakeStore(path, 3);
  fs::remove(path + "/CURRENT");
  const std::set<std::string> before = engine_test::DataFiles(path);
  REQUIRE(!before.empty());
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
    INFO(e.status().ToString());
    REQUIRE(e.status().code() == absl::StatusCode::kDataLoss);
    REQUIRE(engine_test::DataFiles(path) == before);
    REQUIRE_FALSE(fs::exists(path + "/CURRENT"));
  }
}

TEST_CASE("damage in the middle of the WAL is DataLoss, not a smaller store",
          "[integrity]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  // As after kill -9: the writer never closes, so the CASK marker names no
  // revision and only the WAL itself can tell damage from a torn write.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
    if (!e.ok()) _exit(2);
    for (int i = 1; i <= 100; ++i) {
      if (!(*e)->Set(absl::StrCat("w", i), absl::StrCat("value", i)).ok()) {
        _exit(3);
      }
    }
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WEXITSTATUS(status) == 0);
  const std::string wal = engine_test::LargestFile(path, ".log");
  const std::uintmax_t size = fs::file_size(wal);
  REQUIRE(size > 6004);
  // Every offset of a stretch in the middle: record headers and payloads.
  for (std::uintmax_t offset = size / 3; offset < size / 3 + 150; offset += 7) {
    const std::string copy = dir.Sub(absl::StrCat("copy", offset));
    engine_test::CopyStore(path, copy);
    engine_test::Overwrite(copy + "/" + fs::path(wal).filename().string(),
                           offset, "EVIL");
    const std::set<std::string> before = engine_test::DataFiles(copy);
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(copy);
    INFO("offset " << offset << ": " << e.status().ToString());
    REQUIRE(e.status().code() == absl::StatusCode::kDataLoss);
    REQUIRE(engine_test::DataFiles(copy) == before);
  }
  // The task's own example: 4 bytes at offset 6000.
  engine_test::Overwrite(wal, 6000, "EVIL");
  REQUIRE(Engine::Open(path).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("buffered mode: power loss never lets an etag be issued again",
          "[integrity]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  { REQUIRE(Engine::Open(path).ok()); }
  auto pl = std::make_shared<engine_test::PowerLossFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(pl);
  EngineOptions options;
  options.durability = Durability::kBuffered;
  options.buffered_sync_interval = absl::Hours(1);  // never synced here
  std::map<std::string, std::string> seen;          // etag -> key=value
  {
    absl::StatusOr<std::unique_ptr<Engine>> e =
        engine::TEST_OpenEngineWithEnv(path, options, env.get());
    REQUIRE(e.ok());
    for (int i = 0; i < 50; ++i) {
      std::string key = absl::StrCat("w", i), value = absl::StrCat("v", i);
      absl::StatusOr<std::string> etag = (*e)->Set(key, value);
      REQUIRE(etag.ok());
      seen[*etag] = key + "=" + value;
    }
    pl->Crash();
  }
  REQUIRE(pl->DropUnsyncedData() > 0);
  pl->Reset();
  engine::TEST_SetBootId("after the power loss");
  absl::StatusOr<std::unique_ptr<Engine>> e =
      engine::TEST_OpenEngineWithEnv(path, options, env.get());
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  for (int i = 0; i < 50; ++i) {
    std::string key = absl::StrCat("x", i), value = "EVIL";
    absl::StatusOr<std::string> etag = (*e)->Set(key, value);
    REQUIRE(etag.ok());
    auto reused = seen.find(*etag);
    INFO(*etag << " named " << (reused == seen.end() ? "" : reused->second)
               << " before the power loss");
    REQUIRE(reused == seen.end());
  }
}

TEST_CASE("a read of a missing store is NotFound and creates nothing",
          "[integrity]") {
  TempDir dir;
  const std::string path = dir.Sub("a/b/store");
  EngineOptions reads;
  reads.read_only = true;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, reads);
  INFO(e.status().ToString());
  REQUIRE(e.status().code() == absl::StatusCode::kNotFound);
  REQUIRE_FALSE(fs::exists(dir.Sub("a")));
  EngineOptions no_create;
  no_create.create_if_missing = false;
  REQUIRE(Engine::Open(path, no_create).status().code() ==
          absl::StatusCode::kNotFound);
  REQUIRE_FALSE(fs::exists(dir.Sub("a")));
  // An empty directory is no store either, and stays empty.
  fs::create_directories(path);
  REQUIRE(Engine::Open(path, reads).status().code() ==
          absl::StatusCode::kNotFound);
  REQUIRE(fs::is_empty(path));
}

TEST_CASE("a directory this process cannot write opens read-only for reads",
          "[integrity]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  engine_test::MakeStore(path, 3);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                  fs::perms::group_exec |
                                  fs::perms::others_read |
                                  fs::perms::others_exec);
  engine_test::MakeReadOnlyForOthers(path);
  const std::set<std::string> before = engine_test::AllFiles(path);
  int code = engine_test::RunUnprivileged([&]() -> int {
    EngineOptions reads;
    reads.read_only = true;
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, reads);
    if (!e.ok()) return 10 + static_cast<int>(e.status().code());
    absl::StatusOr<Item> item = (*e)->Get("k1");
    if (!item.ok() || item->value != "v1") return 2;
    absl::StatusOr<std::string> w = (*e)->Set("k1", "x");
    if (w.status().code() != absl::StatusCode::kPermissionDenied) return 3;
    // A writer is refused at open, clearly.
    absl::StatusOr<std::unique_ptr<Engine>> writer = Engine::Open(path);
    if (writer.status().code() != absl::StatusCode::kPermissionDenied) {
      return 4;
    }
    return 0;
  });
  REQUIRE(code == 0);
  REQUIRE(engine_test::AllFiles(path) == before);
}

TEST_CASE("a LOCK this process cannot write is PermissionDenied, not 'open'",
          "[integrity]") {
  TempDir dir;
  // "blocks" contains "lock": the answer must not come from message text.
  const std::string path = dir.Sub("blocks/s");
  engine_test::MakeStore(path, 1);
  fs::permissions(dir.path(), fs::perms::all);
  fs::permissions(dir.Sub("blocks"), fs::perms::all);
  fs::permissions(path, fs::perms::all);  // the directory is writable
  engine_test::MakeReadOnlyForOthers(path + "/LOCK");
  int code = engine_test::RunUnprivileged([&]() -> int {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
    if (e.ok()) return 2;
    if (absl::StrContains(e.status().message(), "already open")) return 3;
    return 10 + static_cast<int>(e.status().code());
  });
  REQUIRE(code == 10 + static_cast<int>(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace cask
