// Many processes on one engine store: forwarding, the socket's
// protection, the protocol's refusal of bad frames, exactly-once retries
// across a failover, the increment race with owner kills, owner exit with
// client takeover, and a client's watch across failovers.
#define CATCH_CONFIG_RUNNER
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cask/engine.h"
#include "cask/open.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "ipc.h"
#include "ipc_socket.h"
#include "ipc_wire.h"
#include "proc_test_util.h"
#include "proc_util.h"
#include "race_util.h"

namespace cask {
namespace {

using engine::ipc::Header;
using engine::ipc::Reader;
using engine::ipc::Type;
using engine::ipc::Writer;
using processes::Fixture;
using processes::Raw;

std::string SetPayload(std::uint64_t client, std::uint64_t seq,
                       const std::string& key, const std::string& value,
                       const Precondition& pre = {},
                       std::uint64_t settled_below = 1) {
  Writer w;
  w.U64(client);
  w.U64(seq);
  w.U64(settled_below);
  w.U8(0);  // flags
  w.Str(key);
  w.Str(value);
  w.Pre(pre);
  w.I64(0);
  return w.out();
}

// Increments "counter" `times` times by swap; the number of acknowledged
// swaps, or -1 on an unexpected status (kUnknown included).
std::int64_t Increment(Driver& store, int times) {
  conformance::IncrementOutcome o =
      conformance::Increment(store, "counter", times);
  if (!o.error.empty()) {
    std::fprintf(stderr, "increment: %s\n", o.error.c_str());
    return -1;
  }
  return o.acknowledged;
}

TEST_CASE("a client gets the owner's results and statuses") {
  Fixture f;
  std::unique_ptr<Engine> c = f.Client();
  std::unique_ptr<Engine> c2 = f.Client();
  REQUIRE(c->store_id().size() == 16);
  REQUIRE(c->store_id() == c2->store_id());
  REQUIRE(c->capabilities().cas);
  REQUIRE(c->capabilities().atomic_batch);
  REQUIRE(c->capabilities().watch);
  absl::StatusOr<std::string> e1 = c->Set("a:b", "one");
  REQUIRE_OK(e1.status());
  absl::StatusOr<Item> item = c2->Get("a:b");
  REQUIRE_OK(item.status());
  CHECK(item->value == "one");
  CHECK(item->meta.etag == *e1);
  CHECK(item->meta.revision == 1);
  CHECK(c->revision() == 1);
  CHECK(*c2->Has("a:b"));
  CHECK(!*c2->Has("a:c"));
  CHECK(c->Get("nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(c->GetMeta("nope").status().code() == absl::StatusCode::kNotFound);
  // A CAS mismatch carries the current etag across the socket.
  absl::StatusOr<std::string> bad =
      c2->Set("a:b", "two", {.precondition = Precondition::CreateOnly()});
  REQUIRE(bad.status().code() == absl::StatusCode::kAborted);
  CHECK(CurrentEtag(bad.status()) == *e1);
  absl::Status rm = c2->Remove("a:zz", Precondition::MustExist());
  REQUIRE(rm.code() == absl::StatusCode::kAborted);
  CHECK(!CurrentEtag(rm).has_value());
  // A commit conflict lists every failing key.
  Batch b;
  b.Put("a:b", "x", {.precondition = Precondition::CreateOnly()});
  b.Put("q", "y", {.precondition = Precondition::MustExist()});
  absl::StatusOr<CommitResult> cr = c->Commit(b);
  REQUIRE(cr.status().code() == absl::StatusCode::kAborted);
  std::vector<Conflict> conflicts = Conflicts(cr.status());
  REQUIRE(conflicts.size() == 2);
  CHECK(conflicts[0].key == "a:b");
  CHECK(conflicts[0].actual == *e1);
  CHECK(conflicts[1].key == "q");
  Batch ok;
  ok.Put("q", "y").Put("a:c", "z").Delete("a:b");
  absl::StatusOr<CommitResult> done = c2->Commit(ok);
  REQUIRE_OK(done.status());
  CHECK(done->etags.size() == 3);
  CHECK(done->revision == 4);
  CHECK(*c->Keys() == std::vector<std::string>{"a:c", "q"});
  CHECK(*c->Keys("a") == std::vector<std::string>{"a:c"});
  absl::StatusOr<std::vector<ChangeEvent>> log = c->Changes(0, 100);
  REQUIRE_OK(log.status());
  REQUIRE(log->size() == 4);
  CHECK((*log)[3].kind == ChangeKind::kDelete);
  CHECK((*log)[3].key == "a:b");
  REQUIRE_OK(c->Clear("a"));
  CHECK(*c2->Keys() == std::vector<std::string>{"q"});
  // Checks before the owner: bad key, negative ttl.
  CHECK(c->Set("", "v").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(c->Set("k", "v", {.precondition = {}, .ttl = absl::Seconds(-1)})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  // TTL is applied by the owner.
  absl::StatusOr<std::string> t =
      c->Set("t", "v", {.precondition = {}, .ttl = absl::Milliseconds(100)});
  REQUIRE_OK(t.status());
  absl::StatusOr<Meta> tm = c2->GetMeta("t");
  REQUIRE_OK(tm.status());
  CHECK(tm->expires.has_value());
  REQUIRE_OK(c->RunMaintenance());
  REQUIRE_OK(c->Compact());
}

TEST_CASE("OpenStore(\"cask:///dir\") is a client too") {
  Fixture f;
  std::unique_ptr<Engine> c = f.Client();
  absl::StatusOr<std::string> etag = c->Set("x", "1");
  REQUIRE_OK(etag.status());
  absl::StatusOr<std::unique_ptr<Driver>> store = OpenStore("cask://" + f.dir);
  REQUIRE_OK(store.status());
  absl::StatusOr<Item> item = (*store)->Get("x");
  REQUIRE_OK(item.status());
  CHECK(item->meta.etag == *etag);
  CHECK((*store)
            ->Set("x", "2", {.precondition = Precondition::IfMatch("1.0")})
            .status()
            .code() == absl::StatusCode::kAborted);
}

TEST_CASE("the socket is private and bad frames fail only themselves") {
  Fixture f;
  std::unique_ptr<Engine> c = f.Client();
  REQUIRE_OK(c->Set("k", "v").status());
  struct stat st {};
  REQUIRE(stat((f.dir + "/cask.sock").c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);

  auto expect_refused = [&](const std::string& bytes) {
    Raw raw(f.dir);
    REQUIRE(raw.Send(bytes));
    auto [h, body] = raw.Next();
    CHECK(h.type == static_cast<std::uint8_t>(Type::kError));
    Reader r(body);
    CHECK(r.StatusOf().code() == absl::StatusCode::kInvalidArgument);
    CHECK(raw.AtEof());
  };
  Header h;
  h.type = static_cast<std::uint8_t>(Type::kGet);
  SECTION("wrong version") {
    h.version = 9;
    expect_refused(engine::ipc::EncodeHeader(h));
  }
  SECTION("oversized") {
    h.length = engine::ipc::kMaxPayload + 1;
    expect_refused(engine::ipc::EncodeHeader(h));
  }
  SECTION("unknown type") {
    h.type = 200;
    expect_refused(engine::ipc::EncodeHeader(h));
  }
  SECTION("payload that does not parse: refused alone") {
    h.type = static_cast<std::uint8_t>(Type::kSet);
    h.length = 5;
    h.call = 3;
    Raw raw(f.dir);
    REQUIRE(raw.Send(engine::ipc::EncodeHeader(h) + "abcde"));
    auto [eh, body] = raw.Next();
    CHECK(eh.type == static_cast<std::uint8_t>(Type::kError));
    CHECK(eh.call == 3);
    Reader r(body);
    CHECK(r.StatusOf().code() == absl::StatusCode::kInvalidArgument);
    // The framing is intact: the connection goes on.
    CHECK(Reader(raw.Call(Type::kRevision, "")).StatusOf().ok());
  }
  SECTION("a truncated frame, then the peer goes away") {
    Raw raw(f.dir);
    h.length = 100;
    REQUIRE(raw.Send(engine::ipc::EncodeHeader(h) + "xy"));
  }
  // The store is undisturbed and the other client still works.
  absl::StatusOr<Item> item = c->Get("k");
  REQUIRE_OK(item.status());
  CHECK(item->value == "v");
  CHECK(c->revision() == 1);
}

TEST_CASE("a retried write returns its first result, also after failover") {
  Fixture f(/*standbys=*/1);
  std::string etag;
  std::string created;
  {
    Raw raw(f.dir);
    std::string r1_bytes = raw.Call(Type::kSet, SetPayload(42, 1, "k", "v"));
    Reader r1(r1_bytes);
    absl::Status s1 = r1.StatusOf();
    INFO(std::string(s1.ToString()));
    REQUIRE(s1.ok());
    etag = r1.Str();
    // The same request again: not applied twice.
    std::string r2_bytes = raw.Call(Type::kSet, SetPayload(42, 1, "k", "v"));
    Reader r2(r2_bytes);
    REQUIRE(r2.StatusOf().ok());
    CHECK(r2.Str() == etag);
    // A create-only write retried: its etag, not a false mismatch.
    std::string r3_bytes = raw.Call(
        Type::kSet, SetPayload(42, 2, "c", "v", Precondition::CreateOnly()));
    Reader r3(r3_bytes);
    REQUIRE(r3.StatusOf().ok());
    created = r3.Str();
    std::string r4_bytes = raw.Call(
        Type::kSet, SetPayload(42, 2, "c", "v", Precondition::CreateOnly()));
    Reader r4(r4_bytes);
    REQUIRE(r4.StatusOf().ok());
    CHECK(r4.Str() == created);
    // A new sequence number is a new request: create-only now fails.
    std::string r5_bytes = raw.Call(
        Type::kSet, SetPayload(42, 3, "c", "v", Precondition::CreateOnly()));
    Reader r5(r5_bytes);
    CHECK(r5.StatusOf().code() == absl::StatusCode::kAborted);
  }
  f.KillOwner();
  {
    Raw raw(f.dir);
    std::string r1_bytes = raw.Call(Type::kSet, SetPayload(42, 1, "k", "v"));
    Reader r1(r1_bytes);
    REQUIRE(r1.StatusOf().ok());
    CHECK(r1.Str() == etag);
    std::string r2_bytes = raw.Call(
        Type::kSet, SetPayload(42, 2, "c", "v", Precondition::CreateOnly()));
    Reader r2(r2_bytes);
    REQUIRE(r2.StatusOf().ok());
    CHECK(r2.Str() == created);
  }
  std::unique_ptr<Engine> c = f.Client();
  CHECK(c->revision() == 2);  // two writes applied, once each
  CHECK(c->GetMeta("k")->etag == etag);
  {
    // Sequence 256 says 1..255 are settled: their records are dropped, so
    // sequence 1 is now a new request (a real client never reuses it).
    Raw raw(f.dir);
    std::string p_bytes =
        raw.Call(Type::kSet, SetPayload(42, 256, "p", "v", {}, 256));
    Reader p(p_bytes);
    REQUIRE(p.StatusOf().ok());
    std::string again_bytes = raw.Call(Type::kSet, SetPayload(42, 1, "k", "v"));
    Reader again(again_bytes);
    REQUIRE(again.StatusOf().ok());
    CHECK(again.Str() != etag);
  }
}

TEST_CASE("increment race across processes with owner kills") {
  Fixture f(/*standbys=*/3);
  {
    std::unique_ptr<Engine> c = f.Client();
    REQUIRE_OK(c->Set("counter", "0").status());
  }
  const int per_process = 150;
  std::vector<std::int64_t> acks = conformance::ForkChildren(
      4,
      [&](int) -> std::int64_t {
        engine::ipc::SetTakeoverAllowed(false);
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(f.dir, processes::TestOptions());
        if (!e.ok()) {
          std::fprintf(stderr, "open: %s\n",
                       std::string(e.status().ToString()).c_str());
          return -1;
        }
        return Increment(**e, per_process);
      },
      [&] {
        for (int i = 0; i < 3; ++i) {
          absl::SleepFor(absl::Milliseconds(30));
          f.KillOwner();
        }
      });
  std::int64_t total = 0;
  for (std::int64_t a : acks) {
    CHECK(a == per_process);
    total += a;
  }
  std::unique_ptr<Engine> c = f.Client();
  absl::StatusOr<Item> item = c->Get("counter");
  REQUIRE_OK(item.status());
  CHECK(std::stoll(item->value) == total);
  CHECK(total == 4 * per_process);
}

TEST_CASE("owner exit: a client process takes over") {
  std::string dir = processes::MakeTempDir("proc-exit");
  REQUIRE(!dir.empty());
  {
    // Created through a helper process: this process must not open RocksDB
    // before it forks (RocksDB's background threads do not survive fork).
    pid_t helper = processes::SpawnOwner(dir);
    REQUIRE(helper > 0);
    {
      absl::StatusOr<std::unique_ptr<Engine>> e =
          Engine::Open(dir, processes::TestOptions());
      REQUIRE_OK(e.status());
      REQUIRE(engine::ipc::IsClient(**e));
      REQUIRE_OK((*e)->Set("counter", "0").status());
    }
    processes::KillAndReap(helper);
  }
  // Client i stops after 40 * (i + 1) increments, so owners come and go.
  std::vector<std::int64_t> acks =
      conformance::ForkChildren(4, [&](int i) -> std::int64_t {
        engine::ipc::SetTakeoverAllowed(true);
        absl::StatusOr<std::unique_ptr<Engine>> e =
            Engine::Open(dir, processes::TestOptions());
        if (!e.ok()) {
          std::fprintf(stderr, "open: %s\n",
                       std::string(e.status().ToString()).c_str());
          return -1;
        }
        return Increment(**e, 40 * (i + 1));
      });
  std::int64_t total = 0;
  for (std::int64_t a : acks) total += a;
  CHECK(total == 40 * (1 + 2 + 3 + 4));
  engine::ipc::SetTakeoverAllowed(true);  // nobody serves it now
  absl::StatusOr<std::unique_ptr<Engine>> e =
      Engine::Open(dir, processes::TestOptions());
  engine::ipc::SetTakeoverAllowed(false);
  REQUIRE_OK(e.status());
  CHECK(std::stoll((*e)->Get("counter")->value) == total);
  CHECK((*e)->revision() == static_cast<std::uint64_t>(total) + 1);
  e->reset();  // (this process owned it last; nothing forks after this)
  std::filesystem::remove_all(dir);
}

TEST_CASE("a client's watch resumes across failovers without gaps") {
  Fixture f(/*standbys=*/2);
  std::unique_ptr<Engine> writer = f.Client();
  std::unique_ptr<Engine> watcher = f.Client();
  std::mutex mu;
  std::vector<ChangeEvent> seen;
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      watcher->Watch("w", 0, [&](const ChangeEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(e);
      });
  REQUIRE_OK(sub.status());
  const int kWrites = 60;
  for (int i = 0; i < kWrites; ++i) {
    REQUIRE_OK(writer->Set("w:" + std::to_string(i), "v").status());
    REQUIRE_OK(writer->Set("other", "v").status());  // filtered out
    if (i == 20 || i == 40) f.KillOwner();
  }
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (seen.size() >= kWrites || absl::Now() > deadline) break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  sub->reset();
  REQUIRE(seen.size() == kWrites);
  for (int i = 0; i < kWrites; ++i) {
    CHECK(seen[i].key == "w:" + std::to_string(i));
    CHECK(seen[i].revision == static_cast<std::uint64_t>(2 * i + 1));
  }
}

}  // namespace
}  // namespace cask

int main(int argc, char** argv) {
  cask::processes::MaybeRunOwner(argc, argv);
  // The test process never takes over: the tests kill owners, and must not
  // kill themselves. ("owner exit" turns it back on in its children.)
  cask::engine::ipc::SetTakeoverAllowed(false);
  return Catch::Session().run(argc, argv);
}
