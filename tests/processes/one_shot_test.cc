// EngineOptions::one_shot (the cask program's get and meta): a reader of a
// store nobody owns opens RocksDB read-only under the owner's lock, serves
// nothing and changes nothing on disk; a process that opens the store
// meanwhile waits for the lock and then owns it; a reader of an owned
// store is a client of the owner and sees its latest writes.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "ipc.h"
#include "proc_test_util.h"
#include "proc_util.h"

namespace cask {
namespace {

namespace fs = std::filesystem;
using processes::Fixture;

// The test program never takes over a store (main); a one-shot reader
// takes the owner's lock, so these tests let it.
struct AllowTakeover {
  AllowTakeover() { engine::ipc::SetTakeoverAllowed(true); }
  ~AllowTakeover() { engine::ipc::SetTakeoverAllowed(false); }
};

EngineOptions OneShot() {
  EngineOptions o = processes::TestOptions();
  o.read_only = true;
  o.one_shot = true;
  return o;
}

// Every file of the store directory with its size and modification time.
std::map<std::string, std::string> Listing(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    std::error_code ec;
    const auto size = e.is_regular_file() ? e.file_size(ec) : 0;
    files[e.path().filename().string()] =
        std::to_string(size) + "@" +
        std::to_string(
            fs::last_write_time(e.path(), ec).time_since_epoch().count());
  }
  return files;
}

// Opens the store at `dir` in a child process and sets `key` to `value`.
int SetInChild(const std::string& dir, const std::string& key,
               const std::string& value) {
  return processes::RunInChild(
      [&] {
        engine::ipc::SetTakeoverAllowed(true);
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(dir, processes::TestOptions());
        if (!e.ok()) {
          std::fprintf(stderr, "open %s: %s\n", dir.c_str(),
                       std::string(e.status().ToString()).c_str());
          return 1;
        }
        return (*e)->Set(key, value).ok() ? 0 : 2;
      },
      absl::Seconds(60));
}

TEST_CASE("one_shot=1 in an engine URI") {
  absl::StatusOr<EngineOptions> o =
      EngineOptions::FromUri("cask:///tmp/x?read_only=1&one_shot=1");
  REQUIRE(o.ok());
  REQUIRE(o->one_shot);
  REQUIRE_FALSE(EngineOptions::FromUri("cask:///tmp/x")->one_shot);
}

TEST_CASE("a one-shot reader of a store nobody owns reads it in place") {
  AllowTakeover takeover;
  const std::string dir = processes::MakeTempDir("one-shot");
  REQUIRE(SetInChild(dir, "k", "v1") == 0);
  const auto before = Listing(dir);
  {
    absl::StatusOr<std::unique_ptr<Engine>> reader =
        Engine::Open(dir, OneShot());
    REQUIRE_OK(reader.status());
    REQUIRE_FALSE(engine::ipc::IsClient(**reader));
    absl::StatusOr<Item> got = (*reader)->Get("k");
    REQUIRE_OK(got.status());
    REQUIRE(got->value == "v1");
    REQUIRE((*reader)->Get("missing").status().code() ==
            absl::StatusCode::kNotFound);
    REQUIRE((*reader)->Set("k", "x").status().code() ==
            absl::StatusCode::kPermissionDenied);
    // Nothing is served: no socket to connect to.
    REQUIRE_FALSE(fs::exists(fs::path(dir) / engine::ipc::kSocketName));
    // It holds the owner's lock: a second open in this process is refused
    // as for an owner.
    REQUIRE(Engine::Open(dir, processes::TestOptions()).status().code() ==
            absl::StatusCode::kUnavailable);
  }
  // Nothing on disk changed: no LOG rotated, no WAL or MANIFEST written.
  REQUIRE(Listing(dir) == before);
  // The lock went with the reader: a writer owns the store again, and the
  // next one-shot read sees its acknowledged write.
  REQUIRE(SetInChild(dir, "k", "v2") == 0);
  absl::StatusOr<std::unique_ptr<Engine>> reader = Engine::Open(dir, OneShot());
  REQUIRE_OK(reader.status());
  REQUIRE((*reader)->Get("k")->value == "v2");
  reader->reset();
  fs::remove_all(dir);
}

TEST_CASE(
    "a process that opens the store during a one-shot read owns it next") {
  AllowTakeover takeover;
  const std::string dir = processes::MakeTempDir("one-shot");
  REQUIRE(SetInChild(dir, "k", "v1") == 0);
  absl::StatusOr<std::unique_ptr<Engine>> reader = Engine::Open(dir, OneShot());
  REQUIRE_OK(reader.status());
  // The other process finds the lock taken and no socket: its Open waits
  // (within its call deadline) until the reader closes, then owns the store.
  pid_t owner = -1;
  std::thread spawn([&] { owner = processes::SpawnOwner(dir); });
  REQUIRE((*reader)->Get("k")->value == "v1");
  reader->reset();
  spawn.join();
  REQUIRE(owner > 0);
  REQUIRE(processes::WaitForOwner(dir) == owner);
  REQUIRE(SetInChild(dir, "k", "v2") == 0);  // through the new owner
  reader = Engine::Open(dir, OneShot());
  REQUIRE_OK(reader.status());
  REQUIRE(engine::ipc::IsClient(**reader));
  REQUIRE((*reader)->Get("k")->value == "v2");
  reader->reset();
  processes::KillAndReap(owner);
  fs::remove_all(dir);
}

TEST_CASE("a one-shot reader of an owned store reads through the owner") {
  Fixture f;
  std::unique_ptr<Engine> writer = f.Client();
  REQUIRE_OK(writer->Set("k", "v1").status());
  absl::StatusOr<std::unique_ptr<Engine>> reader =
      Engine::Open(f.dir, OneShot());
  REQUIRE_OK(reader.status());
  REQUIRE(engine::ipc::IsClient(**reader));
  REQUIRE((*reader)->Get("k")->value == "v1");
  // Acknowledged after the reader opened: still seen (no stale view).
  REQUIRE_OK(writer->Set("k", "v2").status());
  REQUIRE((*reader)->Get("k")->value == "v2");
}

}  // namespace
}  // namespace cask
