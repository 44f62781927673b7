// The engine's own behaviour, beyond the conformance suite: revision etags,
// the change log, watch, TTL reaping, large values, bad directories, URIs.
#define CATCH_CONFIG_MAIN
#include "cask/engine.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "encoding.h"
#include "rocksdb/db.h"
#include "test_util.h"

namespace cask {
namespace {

using engine_test::TempDir;

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
absl::Status StatusOf(const absl::Status& s) { return s; }

#define REQUIRE_OK(expr)                    \
  do {                                      \
    const absl::Status _s = StatusOf(expr); \
    INFO(_s.ToString());                    \
    REQUIRE(_s.ok());                       \
  } while (0)

#define REQUIRE_CODE(expr, want)            \
  do {                                      \
    const absl::Status _s = StatusOf(expr); \
    INFO(_s.ToString());                    \
    REQUIRE(_s.code() == (want));           \
  } while (0)

EngineOptions FastOptions() {
  EngineOptions o;
  o.maintenance_interval = absl::Milliseconds(20);
  return o;
}

std::unique_ptr<Engine> MustOpen(const std::string& path,
                                 const EngineOptions& options = FastOptions()) {
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, options);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return *std::move(e);
}

std::string MustSet(Engine& e, std::string_view key, std::string_view value,
                    const WriteOptions& options = {}) {
  absl::StatusOr<std::string> etag = e.Set(key, value, options);
  INFO(etag.status().ToString());
  REQUIRE(etag.ok());
  return *etag;
}

std::vector<ChangeEvent> AllChanges(Engine& e, std::uint64_t after = 0) {
  absl::StatusOr<std::vector<ChangeEvent>> c = e.Changes(after, 1u << 20);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *std::move(c);
}

TEST_CASE("etags are revision.store_id and never repeat", "[etag]") {
  TempDir dir;
  std::set<std::string> seen;
  std::string id;
  {
    auto e = MustOpen(dir.path());
    id = std::string(e->store_id());
    REQUIRE(id.size() == 16);
    REQUIRE(e->revision() == 0);
    std::string t1 = MustSet(*e, "k", "v");
    REQUIRE(t1 == absl::StrCat("1.", id));
    REQUIRE(e->GetMeta("k")->revision == 1);
    seen.insert(t1);
    REQUIRE_OK(e->Remove("k"));
    std::string t2 = MustSet(*e, "k", "v");  // delete and recreate
    REQUIRE(seen.insert(t2).second);
    REQUIRE_OK(e->Clear());
    std::string t3 = MustSet(*e, "k", "v");  // after clear
    REQUIRE(seen.insert(t3).second);
    REQUIRE(e->revision() == 5);  // put, delete, put, clear, put
  }
  auto e = MustOpen(dir.path());  // reopen keeps identity and revision
  REQUIRE(e->store_id() == id);
  REQUIRE(e->revision() == 5);
  REQUIRE(e->GetMeta("k")->etag == absl::StrCat("5.", id));
  std::string t4 = MustSet(*e, "k", "v");
  REQUIRE(t4 == absl::StrCat("6.", id));

  TempDir other_dir;
  auto other = MustOpen(other_dir.path());
  REQUIRE(other->store_id() != id);
  std::string o1 = MustSet(*other, "k", "v");
  REQUIRE(o1 != MustSet(*e, "x", "y"));
  REQUIRE(IsCasMismatch(
      other->Set("k", "w", WriteOptions{Precondition::IfMatch(t4)}).status()));
}

TEST_CASE("a commit takes consecutive revisions, all logged", "[log]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  std::string a = MustSet(*e, "a", "1");
  Batch b;
  b.Put("a", "2", WriteOptions{Precondition::IfMatch(a)})
      .Put("b", "2", WriteOptions{Precondition::CreateOnly()})
      .Delete("c")  // absent: no record
      .Verify("a:x", Precondition::CreateOnly());
  absl::StatusOr<CommitResult> r = e->Commit(b);
  REQUIRE_OK(r);
  REQUIRE(r->revision == 3);
  REQUIRE(r->etags[0] == absl::StrCat("2.", std::string(e->store_id())));
  REQUIRE(r->etags[1] == absl::StrCat("3.", std::string(e->store_id())));
  REQUIRE(r->etags[2].empty());
  REQUIRE(r->etags[3].empty());

  // A failing commit takes no revision and writes nothing.
  Batch bad;
  bad.Put("a", "3", WriteOptions{Precondition::IfMatch(a)}).Delete("b");
  REQUIRE_CODE(e->Commit(bad), absl::StatusCode::kAborted);
  REQUIRE(e->revision() == 3);

  std::vector<ChangeEvent> log = AllChanges(*e);
  REQUIRE(log.size() == 3);
  for (std::size_t i = 0; i < log.size(); ++i) {
    REQUIRE(log[i].revision == i + 1);
    REQUIRE(log[i].kind == ChangeKind::kPut);
    REQUIRE(log[i].size == 1);
  }
  REQUIRE(log[1].key == "a");
  REQUIRE(log[2].key == "b");
  REQUIRE(log[2].etag == r->etags[1]);

  REQUIRE_OK(e->Remove("a"));
  REQUIRE_OK(e->Clear("x"));
  log = AllChanges(*e, 3);
  REQUIRE(log.size() == 2);
  REQUIRE(log[0].kind == ChangeKind::kDelete);
  REQUIRE(log[0].key == "a");
  REQUIRE(log[0].etag.empty());
  REQUIRE(log[1].kind == ChangeKind::kClear);
  REQUIRE(log[1].key == "x");

  // Pagination: limit, then continue after the last revision seen.
  absl::StatusOr<std::vector<ChangeEvent>> page = e->Changes(0, 2);
  REQUIRE_OK(page);
  REQUIRE(page->size() == 2);
  page = e->Changes(page->back().revision, 2);
  REQUIRE(page->front().revision == 3);
  REQUIRE(AllChanges(*e, 100).empty());
}

TEST_CASE("log retention by count: reading below it is OutOfRange", "[log]") {
  TempDir dir;
  EngineOptions o = FastOptions();
  o.log_retention_count = 10;
  auto e = MustOpen(dir.path(), o);
  for (int i = 0; i < 25; ++i) MustSet(*e, "k", absl::StrCat(i));
  REQUIRE_OK(e->RunMaintenance());
  REQUIRE_CODE(e->Changes(0, 100), absl::StatusCode::kOutOfRange);
  REQUIRE_CODE(e->Changes(14, 100), absl::StatusCode::kOutOfRange);
  std::vector<ChangeEvent> kept = AllChanges(*e, 15);
  REQUIRE(kept.size() == 10);
  REQUIRE(kept.front().revision == 16);
  REQUIRE_CODE(e->Watch("", 3, [](const ChangeEvent&) {}),
               absl::StatusCode::kOutOfRange);
  e.reset();
  e = MustOpen(dir.path(), o);  // the retention mark persists
  REQUIRE_CODE(e->Changes(0, 100), absl::StatusCode::kOutOfRange);
  REQUIRE(AllChanges(*e, 15).size() == 10);
}

TEST_CASE("log retention by age", "[log]") {
  TempDir dir;
  EngineOptions o = FastOptions();
  o.log_retention_count = 0;
  o.log_retention_age = absl::Milliseconds(200);
  auto e = MustOpen(dir.path(), o);
  for (int i = 0; i < 5; ++i) MustSet(*e, "old", absl::StrCat(i));
  absl::SleepFor(absl::Milliseconds(300));
  MustSet(*e, "new", "x");
  REQUIRE_OK(e->RunMaintenance());
  REQUIRE_CODE(e->Changes(0, 100), absl::StatusCode::kOutOfRange);
  // "new" is kept unless this thread stalled past the retention age.
  std::vector<ChangeEvent> kept = AllChanges(*e, 5);
  REQUIRE(kept.size() <= 1);
  for (const ChangeEvent& ev : kept) REQUIRE(ev.key == "new");
}

TEST_CASE("a corrupted log record is DataLoss, never a wrong event",
          "[log][corruption]") {
  TempDir dir;
  {
    auto e = MustOpen(dir.path());
    MustSet(*e, "a", "1");
    MustSet(*e, "b", "2");
  }
  {
    // Flip a byte of record 2 behind the engine's back.
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : {"default", "meta", "data", "ttl", "log"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, dir.path(), cfs, &handles, &raw).ok());
    std::string key = engine::EncodeFixed64(2), value;
    REQUIRE(raw->Get(rocksdb::ReadOptions(), handles[4], key, &value).ok());
    value[value.size() - 1] ^= 1;
    REQUIRE(raw->Put(rocksdb::WriteOptions(), handles[4], key, value).ok());
    for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  auto e = MustOpen(dir.path());
  REQUIRE_CODE(e->Changes(0, 10), absl::StatusCode::kDataLoss);
  REQUIRE_CODE(e->Changes(1, 10), absl::StatusCode::kDataLoss);
  REQUIRE(e->Changes(0, 1)->size() == 1);  // record 1 is intact
  REQUIRE(e->Get("b")->value == "2");      // the data is not affected
}

TEST_CASE("watch delivers in revision order, filtered by base", "[watch]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  MustSet(*e, "app:x", "before");  // revision 1, before the watch starts
  std::mutex mu;
  std::vector<ChangeEvent> seen;
  std::atomic<int> count{0};
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      e->Watch("app", 0, [&](const ChangeEvent& ev) {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back(ev);
        count.fetch_add(1);
      });
  REQUIRE_OK(sub);
  MustSet(*e, "other", "x");            // not under app
  MustSet(*e, "app:y", "1");            // 3
  REQUIRE_OK(e->Remove("app:x"));       // 4
  REQUIRE_OK(e->Clear("app:z"));        // 5: under the watched base
  REQUIRE_OK(e->Clear(""));             // 6: contains it
  REQUIRE_OK(e->Clear("other"));        // 7: unrelated
  MustSet(*e, "app", "not under app");  // the base itself is not under it
  for (int i = 0; i < 500 && count.load() < 5; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  sub->reset();
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(seen.size() == 5);
  std::vector<std::uint64_t> revs;
  for (const ChangeEvent& ev : seen) revs.push_back(ev.revision);
  REQUIRE(revs == std::vector<std::uint64_t>{1, 3, 4, 5, 6});
  REQUIRE(seen[0].kind == ChangeKind::kPut);
  REQUIRE(seen[2].kind == ChangeKind::kDelete);
  REQUIRE(seen[3].kind == ChangeKind::kClear);
  REQUIRE(seen[4].key.empty());
}

TEST_CASE("watch from a revision sees every later event exactly once",
          "[watch]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  for (int i = 0; i < 10; ++i) MustSet(*e, "k", absl::StrCat(i));
  std::vector<std::uint64_t> revs;
  std::mutex mu;
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      e->Watch("", 4, [&](const ChangeEvent& ev) {
        std::lock_guard<std::mutex> lock(mu);
        revs.push_back(ev.revision);
      });
  REQUIRE_OK(sub);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        REQUIRE(e->Set(absl::StrCat("w", t), "v").ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (revs.size() >= 206) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  sub->reset();
  REQUIRE(revs.size() == 206);
  for (std::size_t i = 0; i < revs.size(); ++i) REQUIRE(revs[i] == i + 5);
}

TEST_CASE("the reaper expires keys through the log; compaction reclaims",
          "[ttl]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  WriteOptions ttl;
  ttl.ttl = absl::Milliseconds(50);
  MustSet(*e, "t:1", "short", ttl);
  MustSet(*e, "t:2", std::string(100 << 10, 'x'), ttl);  // out of line
  MustSet(*e, "keep", "v");
  WriteOptions hour;
  hour.ttl = absl::Hours(1);
  MustSet(*e, "long", "v", hour);
  absl::StatusOr<Meta> long_meta = e->GetMeta("long");
  REQUIRE_OK(long_meta);
  REQUIRE(long_meta->expires.has_value());
  REQUIRE(*long_meta->expires > long_meta->mtime);
  absl::SleepFor(absl::Milliseconds(100));
  REQUIRE_CODE(e->Get("t:1"), absl::StatusCode::kNotFound);
  REQUIRE_CODE(e->Get("t:2"), absl::StatusCode::kNotFound);
  REQUIRE(*e->Keys() == std::vector<std::string>{"keep", "long"});
  REQUIRE_OK(e->RunMaintenance());
  // (The background reaper may have run first: look for the events, not
  // at fixed revisions.)
  auto expired = [&] {
    std::vector<std::string> keys;
    for (const ChangeEvent& ev : AllChanges(*e)) {
      if (ev.kind == ChangeKind::kExpire) keys.push_back(ev.key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  REQUIRE(expired() == std::vector<std::string>{"t:1", "t:2"});
  // The expiry of an overwritten key is not reaped.
  WriteOptions ttl300;
  ttl300.ttl = absl::Milliseconds(300);
  MustSet(*e, "t:3", "a", ttl300);
  MustSet(*e, "t:3", "b");
  absl::SleepFor(absl::Milliseconds(400));
  REQUIRE_OK(e->RunMaintenance());
  REQUIRE(e->Get("t:3")->value == "b");
  REQUIRE(expired() == std::vector<std::string>{"t:1", "t:2"});
  REQUIRE_OK(e->Compact());
  REQUIRE(e->Get("keep")->value == "v");
}

TEST_CASE("a 256 MiB value round-trips; over the limit nothing is written",
          "[large]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  std::string big(256u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4096) {
    big[i] = static_cast<char>(i >> 12);
  }
  std::string etag = MustSet(*e, "big", big);
  {
    absl::StatusOr<Item> item = e->Get("big");
    REQUIRE_OK(item);
    REQUIRE(item->meta.etag == etag);
    REQUIRE(item->meta.size == big.size());
    REQUIRE(item->value == big);
  }
  REQUIRE_OK(e->Compact());  // now from a blob file
  REQUIRE(e->Get("big")->value == big);
  big.push_back('!');
  std::uint64_t before = e->revision();
  REQUIRE_CODE(e->Set("big", big), absl::StatusCode::kResourceExhausted);
  REQUIRE(e->revision() == before);
  REQUIRE(e->GetMeta("big")->etag == etag);
}

TEST_CASE("a directory that is not a cask store is refused", "[open]") {
  TempDir dir;
  {
    std::ofstream(dir.Sub("file")) << "x";
    REQUIRE_CODE(Engine::Open(dir.Sub("file")),
                 absl::StatusCode::kInvalidArgument);
    REQUIRE_CODE(Engine::Open(dir.path()), absl::StatusCode::kInvalidArgument);
  }
  EngineOptions no_create;
  no_create.create_if_missing = false;
  REQUIRE_CODE(Engine::Open(dir.Sub("missing"), no_create),
               absl::StatusCode::kNotFound);
  {
    // A RocksDB database, but not cask's.
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, dir.Sub("rocks"), &raw).ok());
    delete raw;
    REQUIRE_CODE(Engine::Open(dir.Sub("rocks")),
                 absl::StatusCode::kInvalidArgument);
  }
  REQUIRE_CODE(Engine::Open(""), absl::StatusCode::kInvalidArgument);
}

TEST_CASE("open errors quote the store's path: escaped and capped",
          "[open][limits]") {
  auto printable = [](absl::string_view m) {
    return std::all_of(m.begin(), m.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c >= 0x20 && c < 0x7f;
    });
  };
  TempDir dir;
  const std::string hostile =
      dir.Sub("s\x1b]0;title\x07") + std::string(200, 'a') + "/" +
      std::string(200, 'b') + "/" + std::string(200, 'c') + "/" +
      std::string(200, 'd') + "/" + std::string(200, 'e') + "/" +
      std::string(200, 'f');
  EngineOptions read;
  read.read_only = true;
  absl::StatusOr<std::unique_ptr<Engine>> missing = Engine::Open(hostile, read);
  REQUIRE(missing.status().code() == absl::StatusCode::kNotFound);
  const absl::string_view m = missing.status().message();
  INFO(m);
  CHECK(printable(m));
  CHECK(m.find("s\\x1b]0;title\\x07aaa") != absl::string_view::npos);
  CHECK(m.size() < 1400);  // the path is 1.2 kB: cut at 1 kB

  std::ofstream(dir.Sub("f\x1b[2J")) << "x";
  absl::StatusOr<std::unique_ptr<Engine>> file =
      Engine::Open(dir.Sub("f\x1b[2J"));
  REQUIRE(file.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(printable(file.status().message()));
}

TEST_CASE("a corrupted store is DataLoss, never a crash",
          "[open][corruption]") {
  TempDir dir;
  { MustSet(*MustOpen(dir.Sub("s1")), "k", "v"); }
  {
    std::ofstream(dir.Sub("s1") + "/CURRENT", std::ios::trunc) << "garbage\n";
    REQUIRE_CODE(Engine::Open(dir.Sub("s1")), absl::StatusCode::kDataLoss);
  }
  { MustSet(*MustOpen(dir.Sub("s2")), "k", "v"); }
  for (const auto& f : std::filesystem::directory_iterator(dir.Sub("s2"))) {
    if (f.path().filename().string().rfind("MANIFEST", 0) == 0) {
      std::ofstream(f.path(), std::ios::trunc) << "not a manifest";
    }
  }
  REQUIRE_CODE(Engine::Open(dir.Sub("s2")), absl::StatusCode::kDataLoss);
}

TEST_CASE("a store already open is Unavailable", "[open]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  REQUIRE_CODE(Engine::Open(dir.path()), absl::StatusCode::kUnavailable);
  e.reset();
  MustOpen(dir.path());
}

TEST_CASE("a store open in another process is Unavailable", "[open]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  MustSet(*e, "k", "v");
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(30);  // never hang the suite
    absl::StatusOr<std::unique_ptr<Engine>> other = Engine::Open(dir.path());
    _exit(other.status().code() == absl::StatusCode::kUnavailable ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("cask: URIs", "[uri]") {
  absl::StatusOr<EngineOptions> o = EngineOptions::FromUri(
      "cask:///tmp/x?durability=buffered&sync_interval_ms=5&min_blob_size=0"
      "&log_retention_count=7&log_retention_age_s=0&max_value_bytes=9");
  REQUIRE_OK(o);
  REQUIRE(o->path == "/tmp/x");
  REQUIRE(o->durability == Durability::kBuffered);
  REQUIRE(o->buffered_sync_interval == absl::Milliseconds(5));
  REQUIRE(o->min_blob_size == 0);
  REQUIRE(o->log_retention_count == 7);
  REQUIRE(o->log_retention_age == absl::ZeroDuration());
  REQUIRE(o->max_value_bytes == 9);
  REQUIRE(EngineOptions::FromUri("cask://./cask-data")->path == "./cask-data");
  REQUIRE(EngineOptions::FromUri("cask:rel")->path == "rel");
  REQUIRE(EngineOptions::FromUri("cask:///a")->durability ==
          Durability::kDurable);
  for (const char* bad :
       {"cask://", "cask:///x?durability=maybe", "cask:///x?bogus=1",
        "cask:///x?min_blob_size=big", "redis:///x"}) {
    INFO(bad);
    REQUIRE_CODE(EngineOptions::FromUri(bad),
                 absl::StatusCode::kInvalidArgument);
  }
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Driver>> d = OpenEngineUri(
      absl::StrCat("cask://", dir.path(), "?durability=buffered"));
  REQUIRE_OK(d);
  REQUIRE((*d)->name() == "engine");
  REQUIRE((*d)->Set("k", "v").ok());
}

TEST_CASE("concurrent create-only in one group: exactly one wins", "[group]") {
  TempDir dir;
  auto e = MustOpen(dir.path());
  for (int round = 0; round < 20; ++round) {
    std::string key = absl::StrCat("once:", round);
    std::atomic<int> wins{0}, mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        absl::StatusOr<std::string> s =
            e->Set(key, "v", WriteOptions{Precondition::CreateOnly()});
        if (s.ok()) wins++;
        if (IsCasMismatch(s.status())) mismatches++;
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE(wins.load() == 1);
    REQUIRE(mismatches.load() == 7);
  }
}

}  // namespace
}  // namespace cask
