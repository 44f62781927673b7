// fs-specific tests: the key -> path mapping (escape attempts, odd keys,
// leaf and directory keys), stray and torn files, crash safety under
// kill -9, etag uniqueness across reopen, and the file:// URI.
#define CATCH_CONFIG_MAIN
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/open.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "fs_fault_util.h"
#include "fs_locks.h"
#include "fs_path.h"
#include "fs_store.h"
#include "fs_test_util.h"

namespace cask {
namespace {

namespace fsys = std::filesystem;
using fs_internal::DecodeSegment;
using fs_internal::EncodeSegment;
using fs_internal::PathForKey;
using Keys = std::vector<std::string>;

using fs_test::MustGet;
using fs_test::MustSet;
using fs_test::Open;
using fs_test::ScratchDir;

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  REQUIRE(out.good());
}

// Every path under `dir`, relative to it.
std::set<std::string> Tree(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fsys::recursive_directory_iterator(dir)) {
    out.insert(fsys::relative(e.path(), dir).string());
  }
  return out;
}

TEST_CASE("segment encoding round-trips and is canonical", "[fs][path]") {
  std::string all;
  for (int c = 1; c < 256; ++c) {
    if (c != ':') all.push_back(static_cast<char>(c));
  }
  for (std::string s :
       {std::string("a"), std::string("A-z_0.9"), std::string("50% off"),
        std::string(".hidden"), std::string("..."), std::string("a~"),
        std::string("+x"), std::string("ключ"), std::string("日本"), all}) {
    std::string enc = EncodeSegment(s);
    INFO(s << " -> " << enc);
    REQUIRE(DecodeSegment(enc) == s);
    REQUIRE(enc.find('/') == std::string::npos);
    REQUIRE(enc.find('~') == std::string::npos);
    REQUIRE(enc.find('+') == std::string::npos);
    REQUIRE(enc.front() != '.');
  }
  REQUIRE(EncodeSegment("50% off") == "50%25%20off");
  REQUIRE(EncodeSegment(".x") == "%2Ex");
  // Non-canonical spellings never decode, so one key has one file.
  for (const char* bad : {"%61", "%2e", "%2", "%", ".x", "a b", "a+", "%00",
                          "%3A", "", "x%2F%"}) {
    INFO(bad);
    REQUIRE_FALSE(DecodeSegment(bad).has_value());
  }
}

TEST_CASE("key paths: leaves end in ~, long segments are chunked",
          "[fs][path]") {
  REQUIRE(PathForKey("a").file == "a~");
  REQUIRE(PathForKey("a").parent == "");
  REQUIRE(PathForKey("a:b").file == "a/b~");
  REQUIRE(PathForKey("a:b").parent == "a");
  REQUIRE(PathForKey(".x:y").file == "%2Ex/y~");
  std::string longest(kMaxKeyBytes, '\x01');  // every byte escaped: 3 KiB
  fs_internal::KeyPath p = PathForKey(longest);
  REQUIRE(p.file.size() < 4096);
  std::size_t start = 0;
  while (start <= p.file.size()) {
    std::size_t end = p.file.find('/', start);
    if (end == std::string::npos) end = p.file.size();
    std::string component = p.file.substr(start, end - start);
    REQUIRE(!component.empty());
    REQUIRE(component.size() <= 255);
    REQUIRE(component != ".");
    REQUIRE(component != "..");
    start = end + 1;
  }
}

TEST_CASE("odd keys round-trip and list back exactly", "[fs][keys]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  std::string long_segment(300, 'x');
  Keys keys = {
      "50% off",
      "%41",
      "with space:and tab\t",
      "ключ:日本語",
      "a~",
      "+plus",
      ".hidden",
      "...",
      ".tmp-1234-0123456789abcdef-0",  // the temp-file name pattern
      ".cask",
      "data",
      "locks",
      "store-id",
      "a",
      "a:b",
      "a:b:c",
      long_segment,
      long_segment + "y",
      long_segment + ":child",
      std::string(kMaxKeyBytes, 'k'),
      "\x7f\x80\xff",
  };
  for (const std::string& k : keys) MustSet(*store, k, "v:" + k);
  for (const std::string& k : keys) REQUIRE(MustGet(*store, k) == "v:" + k);
  // ".cask" is cask's reserved key space (sync state): stored and read back
  // like any key, but only listed when its base is named.
  Keys sorted = keys;
  std::erase_if(sorted, cask::IsReservedKey);
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(*store->Keys() == sorted);
  REQUIRE(*store->Keys(".cask") == Keys{});
  REQUIRE(*store->Keys("a") == Keys{"a:b", "a:b:c"});
  REQUIRE(*store->Keys(long_segment) == Keys{long_segment + ":child"});
  // Another client sees the same.
  REQUIRE(*Open(dir.root())->Keys() == sorted);

  REQUIRE(store->Clear(long_segment).ok());
  REQUIRE(MustGet(*store, long_segment + "y") == "v:" + long_segment + "y");
  REQUIRE(MustGet(*store, long_segment) == "v:" + long_segment);
  REQUIRE(store->Get(long_segment + ":child").status().code() ==
          absl::StatusCode::kNotFound);
  REQUIRE(store->Clear().ok());
  REQUIRE(store->Keys()->empty());
  // Clear leaves no empty directories behind.
  REQUIRE(Tree(dir.root() + "/data").empty());
}

TEST_CASE("no key escapes the data directory", "[fs][path]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  std::set<std::string> outside_before = Tree(dir.path());
  for (const char* bad : {"../x", "a/../../x", "..", "a\\..\\b", "./x"}) {
    INFO(bad);
    REQUIRE(store->Set(bad, "v").status().code() ==
            absl::StatusCode::kInvalidArgument);
  }
  for (const char* odd : {"...", "..a", "a..", "....:....", "/etc/passwd",
                          "\\tmp\\x", "~", "+", "%2E%2E", "%2F"}) {
    MustSet(*store, odd, "v");
  }
  // Everything written lives in <root>/data; <root>/.cask holds only the
  // store's own files; nothing appeared next to the root.
  for (const std::string& p : Tree(dir.path())) {
    if (outside_before.count(p)) continue;
    INFO(p);
    REQUIRE(
        (p.rfind("store/data/", 0) == 0 || p.rfind("store/.cask/", 0) == 0));
  }
  REQUIRE(
      Tree(dir.root() + "/.cask") ==
      std::set<std::string>{"counter", "journal", "locks", "store-id", "tmp"});
  REQUIRE(store->Keys()->size() == 10);
  REQUIRE(MustGet(*store, "etc:passwd") == "v");
}

TEST_CASE("stray and torn files are ignored or reported", "[fs][crash]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  MustSet(*store, "k", "value");
  std::string data = dir.root() + "/data";
  std::string tmp = dir.root() + "/.cask/tmp";
  // A writer killed mid-write leaves a torn temp file.
  WriteFile(tmp + "/.tmp-99999-00000000deadbeef-0", "caskfs1\n\0\0\0torn");
  // Files cask never writes in data/.
  WriteFile(data + "/README", "not a key");
  WriteFile(data + "/%zz~", "bad escape");
  WriteFile(data + "/%61~", "non-canonical a");
  fsys::create_directory(data + "/dir~");
  fsys::create_directory(data + "/+orphan");
  REQUIRE(*store->Keys() == Keys{"k"});
  REQUIRE(MustGet(*store, "k") == "value");
  REQUIRE(store->Get("a").status().code() == absl::StatusCode::kNotFound);
  // A damaged value file is corruption, not a missing key.
  WriteFile(data + "/bad~", "garbage that is not a header");
  REQUIRE(store->Get("bad").status().code() == absl::StatusCode::kDataLoss);
  REQUIRE(store->GetMeta("bad").status().code() == absl::StatusCode::kDataLoss);
  WriteOptions swap;
  swap.precondition = Precondition::IfMatch("1.x");
  REQUIRE(store->Set("bad", "v", swap).status().code() ==
          absl::StatusCode::kDataLoss);
  // An unconditional write repairs it.
  MustSet(*store, "bad", "good");
  REQUIRE(MustGet(*store, "bad") == "good");
}

TEST_CASE("stale temp files are removed on open, fresh ones kept",
          "[fs][crash]") {
  ScratchDir dir;
  Open(dir.root());
  std::string tmp = dir.root() + "/.cask/tmp";
  WriteFile(tmp + "/.tmp-1-00000000000000aa-0", "old");
  WriteFile(tmp + "/.tmp-1-00000000000000aa-1", "fresh");
  fsys::last_write_time(
      tmp + "/.tmp-1-00000000000000aa-0",
      fsys::file_time_type::clock::now() - std::chrono::hours(2));
  auto store = Open(dir.root());
  REQUIRE_FALSE(fsys::exists(tmp + "/.tmp-1-00000000000000aa-0"));
  REQUIRE(fsys::exists(tmp + "/.tmp-1-00000000000000aa-1"));
  REQUIRE(store->Keys()->empty());
}

TEST_CASE("kill -9 while writing never leaves a torn value", "[fs][crash]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  const std::size_t size = 4 << 20;
  MustSet(*store, "k", std::string(size, 'A'));
  for (int round = 0; round < 3; ++round) {
    // Killed mid-stream: after its third value, at once.
    fs_test::KillWhileWriting(
        dir.root(), 2,
        [size](Driver& child, std::uint64_t i) {
          char fill = static_cast<char>('B' + i % 20);
          return child.Set("k", std::string(size, fill)).status();
        },
        0);
    absl::StatusOr<Item> item = store->Get("k");
    INFO(item.status().ToString());
    REQUIRE(item.ok());
    REQUIRE(item->value.size() == size);
    REQUIRE(item->value.find_first_not_of(item->value[0]) == std::string::npos);
    REQUIRE(*store->Keys() == Keys{"k"});
    // The killed writer released its lock: CAS still works.
    WriteOptions swap;
    swap.precondition = Precondition::IfMatch(item->meta.etag);
    MustSet(*store, "k", std::string(size, 'A'), swap);
  }
}

TEST_CASE("etags never repeat: same content, reopen, clear", "[fs][etag]") {
  ScratchDir dir;
  std::set<std::string> seen;
  std::uint64_t last_revision = 0;
  for (int open = 0; open < 3; ++open) {
    auto store = Open(dir.root());
    for (int i = 0; i < 200; ++i) {
      std::string etag = MustSet(*store, "k", "same");
      REQUIRE(seen.insert(etag).second);
      absl::StatusOr<Meta> meta = store->GetMeta("k");
      REQUIRE(meta->etag == etag);
      REQUIRE(meta->revision > last_revision);
      last_revision = meta->revision;
    }
    REQUIRE(store->Clear().ok());
  }
  // A store made in another directory has another identity.
  ScratchDir other;
  std::string foreign = MustSet(*Open(other.root()), "k", "same");
  REQUIRE(seen.count(foreign) == 0);
}

TEST_CASE("two stores in one process exclude each other", "[fs][cas]") {
  ScratchDir dir;
  auto a = Open(dir.root());
  auto b = Open(dir.root());
  std::string etag = MustSet(*a, "k", "1");
  WriteOptions swap;
  swap.precondition = Precondition::IfMatch(etag);
  MustSet(*b, "k", "2", swap);
  absl::StatusOr<std::string> stale = a->Set("k", "3", swap);
  REQUIRE(IsCasMismatch(stale.status()));
  REQUIRE(CurrentEtag(stale.status()) == a->GetMeta("k")->etag);
  REQUIRE(MustGet(*a, "k") == "2");
}

TEST_CASE("commit: one revision for all puts, visible to other clients",
          "[fs][commit]") {
  ScratchDir dir;
  auto a = Open(dir.root());
  auto b = Open(dir.root());
  std::string old = MustSet(*a, "refs:main", "c1");
  Batch batch;
  batch.Put("refs:main", "c2", WriteOptions{Precondition::IfMatch(old), {}});
  batch.Put("refs:tags:v1", "c2", WriteOptions{Precondition::CreateOnly(), {}});
  absl::StatusOr<CommitResult> r = b->Commit(batch);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->etags[0] == r->etags[1]);
  REQUIRE(a->GetMeta("refs:tags:v1")->revision == r->revision);
  REQUIRE(MustGet(*a, "refs:main") == "c2");
  // Replaying it fails on both keys and changes nothing.
  absl::StatusOr<CommitResult> again = a->Commit(batch);
  REQUIRE(IsCasMismatch(again.status()));
  REQUIRE(Conflicts(again.status()).size() == 2);
  REQUIRE(a->GetMeta("refs:main")->etag == r->etags[0]);
}

// Writers in two processes commit x := n+1, y := n+1 (if-match on both);
// a reader in a third process reads x, then y. Were a commit visible half
// applied (x renamed, y not yet), the reader would see y < x.
TEST_CASE("commits are atomic across processes, also for readers",
          "[fs][commit][process]") {
  ScratchDir dir;
  auto store = Open(dir.root());
  REQUIRE(fs_internal::StripeOf("x") != fs_internal::StripeOf("y"));
  MustSet(*store, "x", "0");
  MustSet(*store, "y", "0");
  constexpr int kWriters = 2, kCommitsEach = 150;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  auto run_child = [&](int role) {
    auto client = CreateFsStore(FsOptions{.root = dir.root()});
    if (!client.ok()) _exit(1);
    Driver& c = **client;
    std::int64_t result = 0;
    if (role == 0) {  // reader: counts its reads; fails on a torn view
      while (true) {
        absl::StatusOr<Item> x = c.Get("x");
        absl::StatusOr<Item> y = c.Get("y");
        if (!x.ok() || !y.ok()) _exit(2);
        if (std::stoll(y->value) < std::stoll(x->value)) _exit(3);
        ++result;
        if (std::stoll(x->value) == kWriters * kCommitsEach) break;
      }
    } else {  // writer: counts acknowledged commits
      while (result < kCommitsEach) {
        absl::StatusOr<Item> x = c.Get("x");
        absl::StatusOr<Item> y = c.Get("y");
        if (!x.ok() || !y.ok()) _exit(2);
        std::string next = std::to_string(std::stoll(x->value) + 1);
        Batch batch;
        batch.Put("x", next,
                  WriteOptions{Precondition::IfMatch(x->meta.etag), {}});
        batch.Put("y", next,
                  WriteOptions{Precondition::IfMatch(y->meta.etag), {}});
        absl::StatusOr<CommitResult> r = c.Commit(batch);
        if (r.ok()) {
          ++result;
        } else if (!IsCasMismatch(r.status())) {
          _exit(4);
        }
      }
    }
    _exit(write(fds[1], &result, sizeof result) == sizeof result ? 0 : 5);
  };
  std::vector<pid_t> pids;
  for (int role = 0; role <= kWriters; ++role) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) run_child(role);
    pids.push_back(pid);
  }
  close(fds[1]);
  // Writers first: if one failed, the reader would wait for ever.
  std::vector<int> statuses(pids.size(), 0);
  bool writers_ok = true;
  for (std::size_t i = 1; i < pids.size(); ++i) {
    REQUIRE(waitpid(pids[i], &statuses[i], 0) == pids[i]);
    writers_ok &= WIFEXITED(statuses[i]) && WEXITSTATUS(statuses[i]) == 0;
  }
  if (!writers_ok) kill(pids[0], SIGKILL);
  REQUIRE(waitpid(pids[0], &statuses[0], 0) == pids[0]);
  for (int status : statuses) {
    INFO("child exit status " << WEXITSTATUS(status)
                              << " (3: the reader saw a half commit)");
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  close(fds[0]);
  REQUIRE(MustGet(*store, "x") == std::to_string(kWriters * kCommitsEach));
  REQUIRE(MustGet(*store, "y") == std::to_string(kWriters * kCommitsEach));
}

TEST_CASE("file:// URIs", "[fs][uri]") {
  ScratchDir dir;
  REQUIRE(FsOptions::FromUri("file://" + dir.root())->root == dir.root());
  REQUIRE(FsOptions::FromUri("file:" + dir.root())->root == dir.root());
  REQUIRE(FsOptions::FromUri("file://localhost" + dir.root())->root ==
          dir.root());
  absl::StatusOr<FsOptions> synced =
      FsOptions::FromUri("file://" + dir.root() + "?sync=1&create=0");
  REQUIRE(synced.ok());
  REQUIRE(synced->sync);
  REQUIRE_FALSE(synced->create_if_missing);
  for (std::string bad :
       {std::string("file://host/x"), std::string("file:relative/dir"),
        std::string("file://"), std::string("mem:"),
        "file://" + dir.root() + "?sync=maybe",
        "file://" + dir.root() + "?bogus=1"}) {
    INFO(bad);
    REQUIRE(FsOptions::FromUri(bad).status().code() ==
            absl::StatusCode::kInvalidArgument);
  }
  // Through the scheme table, a percent-encoded space included.
  std::string spaced = dir.path() + "/with space";
  absl::StatusOr<std::unique_ptr<Driver>> store =
      OpenStore("file://" + dir.path() + "/with%20space");
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  REQUIRE((*store)->name() == "fs");
  MustSet(**store, "k", "v");
  REQUIRE(fsys::exists(spaced + "/data/k~"));
  // A missing root without create is NotFound.
  REQUIRE(
      OpenStore("file://" + dir.path() + "/absent?create=0").status().code() ==
      absl::StatusCode::kNotFound);
}

TEST_CASE("sync mode works end to end", "[fs][sync]") {
  ScratchDir dir;
  auto store = CreateFsStore(FsOptions{.root = dir.root(), .sync = true});
  REQUIRE(store.ok());
  std::string etag = MustSet(**store, "a:b", "v");
  REQUIRE((*store)->GetMeta("a:b")->etag == etag);
  REQUIRE((*store)->Remove("a:b", Precondition::IfMatch(etag)).ok());
  REQUIRE((*store)->Keys()->empty());
}

}  // namespace
}  // namespace cask
