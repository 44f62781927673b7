// Snapshots of a process that is not the owner: the owner pins them for it
// on its connection, over the socket and over the ring alike; releases
// them when the client drops them, closes or is killed; bounds them per
// client; and after a failover (to a standby or to the client itself) a
// snapshot of the old owner answers kOutOfRange, never another view.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "ipc_pinned_snapshots.h"
#include "proc_test_util.h"
#include "proc_util.h"

namespace cask {
namespace {

using engine::ipc::Reader;
using engine::ipc::Type;
using engine::ipc::Writer;
using processes::Fixture;

std::uint64_t PinnedIn(const std::string& dir, pid_t owner) {
  processes::OwnerStats stats = processes::OwnerReport(dir, owner);
  REQUIRE(stats.ok);
  return stats.pinned_snapshots;
}

// The owner lets go of a closed connection's pins when its reader sees the
// end of the socket, and of a dropped snapshot's when it reads the release
// (the client does not wait for it), a moment later: wait for it (30 s at
// most).
bool PinsDropTo(const std::string& dir, pid_t owner, std::uint64_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (PinnedIn(dir, owner) == n) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST_CASE("a client's snapshot shows its state through the owner") {
  const bool ring = GENERATE(true, false);
  INFO("ring transport: " << ring);
  engine::ipc::SetRingTransport(ring);
  Fixture f;
  {
    std::unique_ptr<Engine> e = f.Client();
    std::unique_ptr<Engine> writer = f.Client();
    REQUIRE(e->capabilities().snapshot);
    REQUIRE(e->capabilities().get_at);
    REQUIRE_OK(e->Set("a", "1").status());
    const std::uint64_t r1 = e->revision();
    absl::StatusOr<std::unique_ptr<Snapshot>> snap = e->OpenSnapshot();
    REQUIRE_OK(snap.status());
    REQUIRE((*snap)->revision() == r1);
    REQUIRE(PinnedIn(f.dir, f.owners[0]) == 1);
    // Writes of this client and of another one after the snapshot.
    REQUIRE_OK(e->Set("a", "2").status());
    REQUIRE_OK(writer->Set("b", "new").status());
    REQUIRE_OK(writer->Remove("a"));
    const std::uint64_t ring_calls = engine::ipc::TEST_RingCalls();
    absl::StatusOr<Item> a = (*snap)->Get("a");
    REQUIRE_OK(a.status());
    CHECK(a->value == "1");
    CHECK((*snap)->Get("b").status().code() == absl::StatusCode::kNotFound);
    // Snapshot Gets take the ring when there is one, the socket otherwise.
    if (ring) {
      CHECK(engine::ipc::TEST_RingCalls() == ring_calls + 2);
    } else {
      CHECK(engine::ipc::TEST_RingCalls() == ring_calls);
    }
    ScanOptions values;
    values.with_values = true;
    absl::StatusOr<ScanPage> page = (*snap)->Scan("", values);
    REQUIRE_OK(page.status());
    REQUIRE(page->entries.size() == 1);
    CHECK(page->entries[0].key == "a");
    CHECK(page->entries[0].value == "1");
    // The live store moved on.
    CHECK(e->Get("a").status().code() == absl::StatusCode::kNotFound);
    CHECK(e->Get("b")->value == "new");
    // GetAt through the owner: the overwritten value is no longer held,
    // the current one is.
    CHECK(e->GetAt("a", r1).status().code() == absl::StatusCode::kOutOfRange);
    CHECK(e->GetAt("b", e->revision())->value == "new");
    snap->reset();  // the owner takes the release a moment later
    CHECK(PinsDropTo(f.dir, f.owners[0], 0));
  }
  engine::ipc::SetRingTransport(true);
}

TEST_CASE("a client's pins go when it closes or is killed") {
  Fixture f;
  const pid_t owner = f.owners[0];
  {
    // A connection that ends with pins (the client process closes it, or
    // loses it): they go with it.
    processes::Raw raw(f.dir);
    REQUIRE_OK(Reader(raw.Call(Type::kSnapshotOpen, "")).StatusOf());
    REQUIRE_OK(Reader(raw.Call(Type::kSnapshotOpen, "")).StatusOf());
    REQUIRE(PinnedIn(f.dir, owner) == 2);
  }
  CHECK(PinsDropTo(f.dir, owner, 0));
  // A client process killed holding a snapshot.
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const std::string dir = f.dir;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    absl::StatusOr<std::unique_ptr<Engine>> e =
        Engine::Open(dir, processes::TestOptions());
    if (!e.ok()) _exit(2);
    absl::StatusOr<std::unique_ptr<Snapshot>> snap = (*e)->OpenSnapshot();
    if (!snap.ok()) _exit(3);
    char c = 1;
    if (write(ready[1], &c, 1) != 1) _exit(4);
    for (;;) pause();
  }
  close(ready[1]);
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  // Killed before any REQUIRE can end the test, so it never outlives it.
  const std::uint64_t held = PinnedIn(f.dir, owner);
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(held == 1);
  CHECK(PinsDropTo(f.dir, owner, 0));
}

TEST_CASE("a client holds a bounded number of snapshots") {
  Fixture f;
  std::unique_ptr<Engine> e = f.Client();
  std::vector<std::unique_ptr<Snapshot>> held;
  for (std::size_t i = 0; i < engine::ipc::kMaxPinsPerSession; ++i) {
    absl::StatusOr<std::unique_ptr<Snapshot>> s = e->OpenSnapshot();
    REQUIRE_OK(s.status());
    held.push_back(*std::move(s));
  }
  CHECK(e->OpenSnapshot().status().code() ==
        absl::StatusCode::kResourceExhausted);
  // Another client has a bound of its own.
  std::unique_ptr<Engine> other = f.Client();
  REQUIRE_OK(other->OpenSnapshot().status());
  // Dropping one makes room.
  held.pop_back();
  absl::StatusOr<std::unique_ptr<Snapshot>> again = e->OpenSnapshot();
  REQUIRE_OK(again.status());
  held.clear();
  again->reset();
  CHECK(PinsDropTo(f.dir, f.owners[0], 0));
}

// Dropping a snapshot while the owner does not answer (stopped, or busy
// for a moment) must cost nothing else: the process's other snapshots
// stay readable, and the pin goes once the owner reads the release.
TEST_CASE("a release the owner does not answer at once costs no other pin") {
  Fixture f;
  const pid_t owner = f.owners[0];
  std::unique_ptr<Engine> e = f.Client();
  REQUIRE_OK(e->Set("k", "v").status());
  absl::StatusOr<std::unique_ptr<Snapshot>> kept = e->OpenSnapshot();
  absl::StatusOr<std::unique_ptr<Snapshot>> dropped = e->OpenSnapshot();
  REQUIRE_OK(kept.status());
  REQUIRE_OK(dropped.status());
  REQUIRE(processes::StopProcess(owner));
  dropped->reset();  // the owner cannot read the release now
  REQUIRE(kill(owner, SIGCONT) == 0);
  absl::StatusOr<Item> item = (*kept)->Get("k");
  INFO(item.status().ToString());
  REQUIRE_OK(item.status());
  CHECK(item->value == "v");
  CHECK(PinsDropTo(f.dir, owner, 1));
}

TEST_CASE("a pin is named only on the connection that opened it") {
  Fixture f;
  processes::Raw a(f.dir);
  processes::Raw b(f.dir);
  // (A Reader views its bytes: they are kept alive beside it.)
  const std::string open_answer = a.Call(Type::kSnapshotOpen, "");
  Reader opened(open_answer);
  REQUIRE_OK(opened.StatusOf());
  const std::uint64_t id = opened.U64();
  (void)opened.U64();
  REQUIRE(opened.done());
  Writer get;
  get.U64(id);
  get.Str("k");
  const std::string b_answer = b.Call(Type::kSnapshotGet, get.out());
  Reader on_b(b_answer);
  CHECK(on_b.StatusOf().code() == absl::StatusCode::kOutOfRange);
  const std::string a_answer = a.Call(Type::kSnapshotGet, get.out());
  Reader on_a(a_answer);
  CHECK(on_a.StatusOf().code() == absl::StatusCode::kNotFound);
  // A release on another connection releases nothing.
  Writer release;
  release.U64(id);
  REQUIRE_OK(Reader(b.Call(Type::kSnapshotRelease, release.out())).StatusOf());
  CHECK(PinnedIn(f.dir, f.owners[0]) == 1);
}

TEST_CASE("a client's snapshot is kOutOfRange once its owner is gone") {
  Fixture f(/*standbys=*/1);
  std::unique_ptr<Engine> e = f.Client();
  REQUIRE_OK(e->Set("k", "v").status());
  absl::StatusOr<std::unique_ptr<Snapshot>> snap = e->OpenSnapshot();
  REQUIRE_OK(snap.status());
  REQUIRE((*snap)->Get("k")->value == "v");
  REQUIRE_OK(e->Set("k", "after").status());
  f.KillOwner();
  CHECK((*snap)->Get("k").status().code() == absl::StatusCode::kOutOfRange);
  CHECK((*snap)->Scan("").status().code() == absl::StatusCode::kOutOfRange);
  // A new snapshot from the new owner works.
  absl::StatusOr<std::unique_ptr<Snapshot>> again = e->OpenSnapshot();
  REQUIRE_OK(again.status());
  CHECK((*again)->Get("k")->value == "after");
  // The old one stays gone, and dropping it is harmless.
  CHECK((*snap)->Get("k").status().code() == absl::StatusCode::kOutOfRange);
  snap->reset();
  CHECK((*again)->Get("k")->value == "after");
}

// In a child process: this one must not own a store (it forks later).
int TakeOverHoldingASnapshot(const std::string& dir, pid_t owner) {
  engine::ipc::SetTakeoverAllowed(true);
  absl::StatusOr<std::unique_ptr<Engine>> opened =
      Engine::Open(dir, processes::TestOptions());
  if (!opened.ok()) return 2;
  std::unique_ptr<Engine>& e = *opened;
  if (!e->Set("k", "v").ok()) return 3;
  absl::StatusOr<std::unique_ptr<Snapshot>> snap = e->OpenSnapshot();
  if (!snap.ok() || !e->Set("k", "after").ok()) return 4;
  if (kill(owner, SIGKILL) != 0) return 5;
  // The next write finds the owner gone: this process takes over.
  if (!e->Set("k2", "x").ok() || engine::ipc::IsClient(*e)) return 6;
  if ((*snap)->Get("k").status().code() != absl::StatusCode::kOutOfRange ||
      (*snap)->Scan("").status().code() != absl::StatusCode::kOutOfRange) {
    return 7;
  }
  // Its own snapshots now live in its own session.
  absl::StatusOr<std::unique_ptr<Snapshot>> mine = e->OpenSnapshot();
  if (!mine.ok()) return 8;
  absl::StatusOr<std::uint64_t> pins =
      engine::ipc::TEST_CountPinnedSnapshots(*e);
  if (!pins.ok() || *pins != 1) return 9;
  if (!e->Set("k", "later").ok()) return 10;
  absl::StatusOr<Item> got = (*mine)->Get("k");
  if (!got.ok() || got->value != "after") return 11;
  mine->reset();
  snap->reset();
  pins = engine::ipc::TEST_CountPinnedSnapshots(*e);
  if (!pins.ok() || *pins != 0) return 12;
  return 0;
}

TEST_CASE(
    "a snapshot of the old owner is kOutOfRange in a client that took "
    "over") {
  Fixture f;  // no standby: the client takes over
  const std::string dir = f.dir;
  const pid_t owner = f.owners[0];
  CHECK(processes::RunInChild(
            [&] { return TakeOverHoldingASnapshot(dir, owner); },
            absl::Seconds(60)) == 0);
}

}  // namespace
}  // namespace cask
