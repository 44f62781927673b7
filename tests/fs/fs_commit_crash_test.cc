// Crash atomicity of fs commits: a process killed at any moment of a
// commit leaves it whole or absent, for readers that come later and for a
// store opened afterwards.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/batch.h"
#include "catch2/catch.hpp"
#include "fs_fault_util.h"
#include "fs_store.h"
#include "fs_test_util.h"

namespace cask {
namespace {

using fs_test::FaultAt;
using fs_test::KillWhileWriting;
using fs_test::MustGet;
using fs_test::MustSet;
using fs_test::Open;
using fs_test::ScratchDir;

constexpr int kKeys = 12;

std::string KeyOf(int j) { return absl::StrCat("c:d", j % 4, ":k", j); }

// Which keys commit number `v` puts (the others it deletes). Key 0 is
// always put, so any finished commit leaves it present.
bool PutBy(std::uint64_t v, int j) {
  std::uint64_t mix = v * 0x9E3779B97F4A7C15ull;
  return j == 0 || ((mix >> (j + 20)) & 1) != 0;
}

Batch CommitNumber(std::uint64_t v) {
  Batch batch;
  for (int j = 0; j < kKeys; ++j) {
    if (PutBy(v, j)) {
      batch.Put(KeyOf(j), std::to_string(v));
    } else {
      batch.Delete(KeyOf(j));
    }
  }
  return batch;
}

// Empty when the keys show one whole commit (or none at all), else what is
// wrong.
std::string CheckWholeCommit(Driver& store) {
  std::optional<std::uint64_t> v;
  std::string etag;
  absl::StatusOr<Item> first = store.Get(KeyOf(0));
  if (absl::IsNotFound(first.status())) {
    for (int j = 1; j < kKeys; ++j) {
      absl::StatusOr<bool> has = store.Has(KeyOf(j));
      if (!has.ok()) return has.status().ToString();
      if (*has) return absl::StrCat(KeyOf(j), " present without ", KeyOf(0));
    }
    return "";
  }
  if (!first.ok()) return first.status().ToString();
  v = std::stoull(first->value);
  etag = first->meta.etag;
  for (int j = 1; j < kKeys; ++j) {
    absl::StatusOr<Item> item = store.Get(KeyOf(j));
    if (PutBy(*v, j)) {
      if (!item.ok()) {
        return absl::StrCat("commit ", *v, " put ", KeyOf(j),
                            " but reading it gives ", item.status().ToString());
      }
      if (item->value != first->value || item->meta.etag != etag) {
        return absl::StrCat("commit ", *v, " put ", KeyOf(j), " but it holds ",
                            item->value, " (etag ", item->meta.etag, ")");
      }
    } else if (!absl::IsNotFound(item.status())) {
      return absl::StrCat("commit ", *v, " deleted ", KeyOf(j),
                          " but reading it gives ",
                          item.ok() ? item->value : item.status().ToString());
    }
  }
  return "";
}

int RoundsToRun() {
  const char* env = getenv("CASK_FS_CRASH_ROUNDS");
  return env != nullptr && *env != '\0' ? std::atoi(env) : 40;
}

bool JournalPending(const std::string& root) {
  std::error_code ec;
  std::filesystem::directory_iterator it(root + "/.cask/journal", ec);
  return !ec && it != std::filesystem::directory_iterator();
}

TEST_CASE("fs commits are whole or absent after kill -9 at random moments",
          "[fs][commit][crash]") {
  ScratchDir dir;
  auto reader = Open(dir.root());
  std::mt19937_64 rng(20261127);
  const int rounds = RoundsToRun();
  int mid_commit = 0;
  for (int round = 0; round < rounds; ++round) {
    // Killed up to 5 ms after its first commit; each round's commits are
    // numbered apart from every other round's.
    const std::uint64_t first = (round + 1) * 1000000ull;
    KillWhileWriting(
        dir.root(), 0,
        [first](Driver& store, std::uint64_t i) {
          return store.Commit(CommitNumber(first + i)).status();
        },
        static_cast<useconds_t>(rng() % 5000));
    if (JournalPending(dir.root())) ++mid_commit;
    // Alternately: a reader that was open before the crash, and a store
    // opened after it.
    std::string problem;
    if (round % 2 == 0) {
      problem = CheckWholeCommit(*reader);
    } else {
      problem = CheckWholeCommit(*Open(dir.root()));
    }
    INFO("round " << round << ": " << problem);
    REQUIRE(problem.empty());
    REQUIRE(!JournalPending(dir.root()));
  }
  WARN(mid_commit << " of " << rounds
                  << " kills left a commit journal to recover");
}

// Runs `batch` in a child process that dies (_exit) at the `nth` call of
// hook point `point`.
void CommitAndDieAt(const std::string& root, const Batch& batch,
                    std::string_view point, int nth) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    FaultAt die(std::string(point), nth, [] {
      _exit(0);
      return 0;
    });
    auto child = CreateFsStore(FsOptions{.root = root});
    if (!child.ok()) _exit(1);
    (*child)->Commit(batch).IgnoreError();
    _exit(2);  // the hook was never reached
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

Batch ThreePutsOneDelete() {
  Batch batch;
  batch.Put("a", "new").Put("b:c", "new").Delete("gone").Put("z", "new");
  return batch;
}

// A store holding a=old and gone=old, which ThreePutsOneDelete changes.
std::unique_ptr<Driver> OpenWithOldValues(const std::string& root) {
  auto store = Open(root);
  MustSet(*store, "a", "old");
  MustSet(*store, "gone", "old");
  return store;
}

TEST_CASE("a commit killed after its commit point is completed by readers",
          "[fs][commit][crash]") {
  ScratchDir dir;
  auto store = OpenWithOldValues(dir.root());
  CommitAndDieAt(dir.root(), ThreePutsOneDelete(), "commit-apply", 3);
  REQUIRE(MustGet(*store, "a") == "new");
  REQUIRE(MustGet(*store, "b:c") == "new");
  REQUIRE(MustGet(*store, "z") == "new");
  REQUIRE(absl::IsNotFound(store->Get("gone").status()));
  REQUIRE(store->GetMeta("a")->etag == store->GetMeta("z")->etag);
  REQUIRE(!JournalPending(dir.root()));
}

TEST_CASE("a commit killed after its commit point is completed on open",
          "[fs][commit][crash]") {
  ScratchDir dir;
  OpenWithOldValues(dir.root()).reset();  // closed before the crash
  CommitAndDieAt(dir.root(), ThreePutsOneDelete(), "commit-apply", 2);
  auto store = Open(dir.root());
  REQUIRE(!JournalPending(dir.root()));
  REQUIRE(*store->Keys() == std::vector<std::string>{"a", "b:c", "z"});
  REQUIRE(MustGet(*store, "b:c") == "new");
}

TEST_CASE("a commit killed before its commit point leaves nothing applied",
          "[fs][commit][crash]") {
  ScratchDir dir;
  auto store = OpenWithOldValues(dir.root());
  CommitAndDieAt(dir.root(), ThreePutsOneDelete(), "journal-publish", 1);
  REQUIRE(MustGet(*store, "a") == "old");
  REQUIRE(MustGet(*store, "gone") == "old");
  REQUIRE(*store->Keys() == std::vector<std::string>{"a", "gone"});
  // The dead committer's marks do not block later writers.
  Batch next;
  next.Put("a", "later").Put("z", "later");
  REQUIRE(store->Commit(next).ok());
  REQUIRE(MustGet(*store, "z") == "later");
}

}  // namespace
}  // namespace cask
