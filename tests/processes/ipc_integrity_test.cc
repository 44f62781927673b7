// Integrity of the many-process layer: a client Engine's destructor never
// hangs, every forwarded call has a deadline (a stopped owner), an oversize
// request is refused at once and a malformed one only fails itself,
// outcome records are bounded, and a process's durability is honoured by
// an owner opened with another.
//
// CASK_OPEN_CLOSE_CYCLES replaces the default count of client open/close
// cycles (10,000).
#define CATCH_CONFIG_RUNNER
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "ipc.h"
#include "ipc_socket.h"
#include "ipc_wire.h"
#include "proc_test_util.h"
#include "proc_util.h"

namespace cask {
namespace {

using engine::ipc::Header;
using engine::ipc::Reader;
using engine::ipc::Type;
using engine::ipc::Writer;

using processes::Fixture;
using processes::Raw;

// The SpawnOwner process serving `f` reports on itself.
processes::OwnerStats Stats(const Fixture& f) {
  pid_t owner = processes::WaitForOwner(f.dir);
  REQUIRE(owner > 0);
  processes::OwnerStats stats = processes::OwnerReport(f.dir, owner);
  REQUIRE(stats.ok);
  return stats;
}

int Cycles() {
  int n = 10000;
  if (const char* env = std::getenv("CASK_OPEN_CLOSE_CYCLES")) {
    REQUIRE(absl::SimpleAtoi(env, &n));
  }
  return n;
}

TEST_CASE("a client Engine's destructor never hangs (open/close cycles)") {
  Fixture store;
  const int cycles = Cycles();
  // In a child process, so that a hang fails the test instead of blocking.
  int code = processes::RunInChild(
      [&] {
        for (int i = 0; i < cycles; ++i) {
          absl::StatusOr<std::unique_ptr<Engine>> e =
              Engine::Open(store.dir, processes::TestOptions());
          if (!e.ok()) return 2;
          if (!(*e)->Set("k", std::to_string(i)).ok()) return 3;
        }
        return 0;
      },
      absl::Minutes(3));  // about 4 s unloaded; a hang fails instead
  INFO("exit code " << code << " (-1: still running after 3 minutes)");
  CHECK(code == 0);
}

TEST_CASE("a call to a stopped owner ends at its deadline") {
  Fixture store(/*standbys=*/1);
  pid_t owner = processes::WaitForOwner(store.dir);
  REQUIRE(owner > 0);
  EngineOptions options = processes::TestOptions();
  options.ipc_call_timeout = absl::Milliseconds(300);
  // Each step's result code, written by the child (which may hang).
  int code = processes::RunInChild(
      [&] {
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(store.dir, options);
        if (!e.ok() || !(*e)->Set("k", "1").ok()) return 2;
        if (!processes::StopProcess(owner)) return 3;
        // Sent, then no answer: the outcome is unknown.
        if ((*e)->Set("k", "2").status().code() != absl::StatusCode::kUnknown) {
          return 4;
        }
        // The owner is treated as dead; reconnecting gets no answer either,
        // so nothing is sent.
        if ((*e)->Set("k", "3").status().code() !=
            absl::StatusCode::kUnavailable) {
          return 5;
        }
        if ((*e)->Get("k").status().code() != absl::StatusCode::kUnavailable) {
          return 6;
        }
        // Opening another client is bounded too.
        absl::StatusOr<std::unique_ptr<Engine>> other =
            Engine::Open(store.dir, options);
        if (other.status().code() != absl::StatusCode::kUnavailable) return 7;
        // The owner really dies: the standby takes over and the same
        // client works again.
        if (kill(owner, SIGKILL) != 0) return 8;
        absl::Time until = absl::Now() + absl::Seconds(30);
        while (!(*e)->Set("k", "4").ok()) {
          if (absl::Now() > until) return 9;
        }
        absl::StatusOr<Item> item = (*e)->Get("k");
        if (!item.ok() || item->value != "4") return 10;
        // And the destructor of a client whose owner is stopped is bounded.
        pid_t standby = processes::WaitForOwner(store.dir, owner);
        if (standby <= 0 || !processes::StopProcess(standby)) return 11;
        (void)(*e)->Get("k");
        e->reset();
        return 0;
      },
      absl::Minutes(2));
  INFO("child exit code " << code << " (-1: hung)");
  CHECK(code == 0);
}

TEST_CASE("short calls use the ring; what does not fit a slot, the socket") {
  Fixture store;
  std::unique_ptr<Engine> c = store.Client(processes::TestOptions());
  const std::uint64_t before = engine::ipc::TEST_RingCalls();
  absl::StatusOr<std::string> etag = c->Set("small", "v");
  REQUIRE_OK(etag.status());
  absl::StatusOr<std::string> swapped =
      c->Set("small", "w", {.precondition = Precondition::IfMatch(*etag)});
  REQUIRE_OK(swapped.status());
  CHECK(c->Set("small", "x", {.precondition = Precondition::IfMatch(*etag)})
            .status()
            .code() == absl::StatusCode::kAborted);
  CHECK(engine::ipc::TEST_RingCalls() >= before + 3);
  // A request bigger than a slot goes on the socket; so does the answer of
  // a Get of it (asked on the ring, answered "too big", asked again).
  const std::string big(200 * 1024, 'b');
  REQUIRE_OK(c->Set("big", big).status());
  const std::uint64_t rev = c->revision();
  absl::StatusOr<Item> got = c->Get("big");
  REQUIRE_OK(got.status());
  CHECK(got->value == big);
  CHECK(c->revision() == rev);  // nothing applied twice
  absl::StatusOr<Item> small = c->Get("small");
  REQUIRE_OK(small.status());
  CHECK(small->value == "w");
}

TEST_CASE("with rings off, clients use the socket alone") {
  Fixture store;
  engine::ipc::SetRingTransport(false);
  std::unique_ptr<Engine> c = store.Client(processes::TestOptions());
  const std::uint64_t before = engine::ipc::TEST_RingCalls();
  absl::StatusOr<std::string> etag = c->Set("k", "v");
  REQUIRE_OK(etag.status());
  CHECK(c->Set("k", "w", {.precondition = Precondition::IfMatch("nope")})
            .status()
            .code() == absl::StatusCode::kAborted);
  absl::StatusOr<Item> got = c->Get("k");
  REQUIRE_OK(got.status());
  CHECK(got->value == "v");
  CHECK(engine::ipc::TEST_RingCalls() == before);
  engine::ipc::SetRingTransport(true);
}

TEST_CASE("a request over the frame limit is refused at once") {
  Fixture store;
  std::unique_ptr<Engine> c = store.Client(processes::TestOptions());
  // The owner itself commits this (each value is within max_value_bytes),
  // but its frame is over the 512 MiB limit between processes.
  const std::string big(180u << 20, 'x');
  Batch batch;
  batch.Put("a", big).Put("b", big).Put("c", big);
  absl::StatusOr<CommitResult> r = c->Commit(batch);
  INFO(std::string(r.status().ToString()));
  CHECK(r.status().code() == absl::StatusCode::kResourceExhausted);
  // Nothing was written and the connection still serves.
  CHECK(c->revision() == 0);
  REQUIRE_OK(c->Set("after", "v").status());
  CHECK(c->revision() == 1);
}

TEST_CASE("a malformed request fails alone; its connection goes on") {
  Fixture store;
  std::unique_ptr<Engine> c = store.Client(processes::TestOptions());
  REQUIRE_OK(c->Set("k", "v").status());
  Raw raw(store.dir);
  // Call 1 does not parse; call 2, pipelined behind it, is fine.
  REQUIRE(engine::ipc::SendFrame(raw.fd, Type::kSet, 1, "garbage"));
  Writer get;
  get.Str("k");
  REQUIRE(engine::ipc::SendFrame(raw.fd, Type::kGet, 2, get.out()));
  for (int i = 0; i < 2; ++i) {
    auto [h, body] = raw.Next();
    Reader r(body);
    absl::Status s = r.StatusOf();
    if (h.call == 1) {
      CHECK(h.type == static_cast<std::uint8_t>(Type::kError));
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    } else {
      REQUIRE(h.call == 2);
      CHECK(h.type == static_cast<std::uint8_t>(Type::kResponse));
      REQUIRE_OK(s);
      CHECK(r.Str() == "v");
    }
  }
  // The connection is still open: a later call is answered too.
  REQUIRE(engine::ipc::SendFrame(raw.fd, Type::kGet, 3, get.out()));
  auto [h, body] = raw.Next();
  CHECK(h.call == 3);
  CHECK(h.type == static_cast<std::uint8_t>(Type::kResponse));
  CHECK(c->revision() == 1);
}

TEST_CASE("short-lived clients leave no outcome records") {
  Fixture store;
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<Engine> c = store.Client(processes::TestOptions());
    REQUIRE_OK(c->Set("k", std::to_string(i)).status());
    Batch b;
    b.Put("b", std::to_string(i));
    REQUIRE_OK(c->Commit(b).status());
  }
  CHECK(Stats(store).outcome_records == 0);
}

TEST_CASE("outcome records of a client that died are dropped with age") {
  setenv("CASK_TEST_OUTCOME_RETENTION_MS", "200", 1);
  Fixture store;
  unsetenv("CASK_TEST_OUTCOME_RETENTION_MS");
  // A client process that writes and dies without closing its Engine.
  int code = processes::RunInChild(
      [&] {
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(store.dir, processes::TestOptions());
        if (!e.ok()) return 2;
        for (int i = 0; i < 10; ++i) {
          if (!(*e)->Set("k", std::to_string(i)).ok()) return 3;
        }
        _exit(0);
      },
      absl::Minutes(1));
  REQUIRE(code == 0);
  absl::Time until = absl::Now() + absl::Seconds(30);
  std::uint64_t records = Stats(store).outcome_records;
  while (records != 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
    records = Stats(store).outcome_records;
  }
  CHECK(records == 0);
}

TEST_CASE("a durable process's writes are synced by a buffered owner") {
  Fixture store(/*standbys=*/0, /*buffered=*/true);
  std::unique_ptr<Engine> durable =
      store.Client(processes::TestOptions(/*buffered=*/false));
  std::unique_ptr<Engine> buffered =
      store.Client(processes::TestOptions(/*buffered=*/true));
  std::uint64_t before = Stats(store).synced_writes;
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(buffered->Set("b", std::to_string(i)).status());
  }
  std::uint64_t after_buffered = Stats(store).synced_writes;
  CHECK(after_buffered == before);  // the owner's own mode: no fsync
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(durable->Set("d", std::to_string(i)).status());
  }
  Batch b;
  b.Put("d2", "v");
  REQUIRE_OK(durable->Commit(b).status());
  REQUIRE_OK(durable->Remove("d2"));
  REQUIRE_OK(durable->Clear("nothing"));
  // Each durable write was acknowledged only after its group was synced.
  CHECK(Stats(store).synced_writes - after_buffered >= 8);
}

}  // namespace
}  // namespace cask

int main(int argc, char** argv) {
  cask::processes::MaybeRunOwner(argc, argv);
  // This process never owns a store (the owners are SpawnOwner processes).
  cask::engine::ipc::SetTakeoverAllowed(false);
  return Catch::Session().run(argc, argv);
}
