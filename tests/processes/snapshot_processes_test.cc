// Snapshots of a process that is not the owner: the owner pins them for it,
// releases them when the client drops them or dies, and an owner that took
// over after a kill answers kOutOfRange for a pin it never held.
#include <unistd.h>

#include <memory>
#include <string>

#include "catch2/catch.hpp"
#include "proc_test_util.h"
#include "proc_util.h"

namespace cask {
namespace {

using processes::Fixture;

std::uint64_t PinnedIn(const std::string& dir, pid_t owner) {
  processes::OwnerStats stats = processes::OwnerReport(dir, owner);
  REQUIRE(stats.ok);
  return stats.pinned_snapshots;
}

TEST_CASE("a client's snapshot lives in the owner until dropped") {
  Fixture f;
  {
    std::unique_ptr<Engine> e = f.Client();
    REQUIRE(e->capabilities().snapshot);
    REQUIRE(e->capabilities().get_at);
    REQUIRE_OK(e->Set("a", "1").status());
    const std::uint64_t r1 = e->revision();
    absl::StatusOr<std::unique_ptr<Snapshot>> snap = e->OpenSnapshot();
    REQUIRE_OK(snap.status());
    REQUIRE((*snap)->revision() == r1);
    REQUIRE(PinnedIn(f.dir, f.owners[0]) == 1);
    REQUIRE_OK(e->Set("a", "2").status());
    REQUIRE_OK(e->Set("b", "new").status());
    REQUIRE((*snap)->Get("a")->value == "1");
    REQUIRE((*snap)->Get("b").status().code() == absl::StatusCode::kNotFound);
    ScanOptions values;
    values.with_values = true;
    absl::StatusOr<ScanPage> page = (*snap)->Scan("", values);
    REQUIRE_OK(page.status());
    REQUIRE(page->entries.size() == 1);
    REQUIRE(page->entries[0].value == "1");
    // GetAt through the owner: the overwritten value is no longer held.
    REQUIRE(e->GetAt("a", r1).status().code() == absl::StatusCode::kOutOfRange);
    REQUIRE(e->GetAt("a", e->revision())->value == "2");
    snap->reset();
    REQUIRE(PinnedIn(f.dir, f.owners[0]) == 0);
  }
  // A client that dies holding a snapshot: the owner lets it go. (The
  // engine above is closed: a forked child opens its own.)
  const pid_t owner = f.owners[0];
  const std::string dir = f.dir;
  int code = processes::RunInChild(
      [&] {
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(dir, processes::TestOptions());
        if (!e.ok()) return 2;
        absl::StatusOr<std::unique_ptr<Snapshot>> snap = (*e)->OpenSnapshot();
        if (!snap.ok()) return 3;
        processes::OwnerStats stats = processes::OwnerReport(dir, owner);
        if (!stats.ok || stats.pinned_snapshots != 1) return 4;
        _exit(0);  // dies without releasing
      },
      absl::Seconds(60));
  REQUIRE(code == 0);
  REQUIRE(PinnedIn(f.dir, f.owners[0]) == 0);
}

TEST_CASE("a client's snapshot is kOutOfRange once its owner is gone") {
  Fixture f(/*standbys=*/1);
  std::unique_ptr<Engine> e = f.Client();
  REQUIRE_OK(e->Set("k", "v").status());
  absl::StatusOr<std::unique_ptr<Snapshot>> snap = e->OpenSnapshot();
  REQUIRE_OK(snap.status());
  REQUIRE((*snap)->Get("k")->value == "v");
  f.KillOwner();
  REQUIRE((*snap)->Get("k").status().code() == absl::StatusCode::kOutOfRange);
  REQUIRE((*snap)->Scan("").status().code() == absl::StatusCode::kOutOfRange);
  // A new snapshot from the new owner works.
  absl::StatusOr<std::unique_ptr<Snapshot>> again = e->OpenSnapshot();
  REQUIRE_OK(again.status());
  REQUIRE((*again)->Get("k")->value == "v");
}

}  // namespace
}  // namespace cask
