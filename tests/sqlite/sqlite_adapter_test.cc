// sqlite-specific behaviour the conformance suite cannot see: URI parsing,
// tables as independent stores in one file, etags never reused across
// reopen, and a held write lock reported as kUnavailable.
#define CATCH_CONFIG_MAIN
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "sqlite_store.h"

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cask-sqlite-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::unique_ptr<cask::Driver> MustOpen(const std::string& uri) {
  auto store = cask::OpenSqliteStoreUri(uri);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE("sqlite URIs: good ones parse, bad ones are InvalidArgument") {
  auto ok = cask::SqliteOptions::FromUri(
      "sqlite:///tmp/x.db?table=refs&busy_timeout_ms=5&synchronous=normal");
  REQUIRE(ok.ok());
  CHECK(ok->path == "/tmp/x.db");
  CHECK(ok->table == "refs");
  CHECK(ok->busy_timeout_ms == 5);
  CHECK_FALSE(ok->synchronous_full);
  CHECK(cask::SqliteOptions::FromUri("sqlite:///tmp/x.db")->table == "cask");
  for (const char* bad :
       {"sqlite://host/tmp/x.db", "sqlite:relative.db", "sqlite://",
        "redis:///tmp/x.db", "sqlite:///tmp/x.db?table=Bad-Name",
        "sqlite:///tmp/x.db?table=1abc", "sqlite:///tmp/x.db?table=a_meta",
        "sqlite:///tmp/x.db?busy_timeout_ms=x",
        "sqlite:///tmp/x.db?synchronous=maybe", "sqlite:///tmp/x.db?tabel=x",
        "sqlite:///tmp/%zz.db"}) {
    INFO(bad);
    CHECK(cask::SqliteOptions::FromUri(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(cask::OpenSqliteStoreUri(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("sqlite: a missing directory is Unavailable, not a crash") {
  auto r = cask::OpenSqliteStoreUri("sqlite:///nonexistent-dir-cask/x.db");
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("sqlite: two tables in one file are independent stores") {
  TempDir dir;
  auto a = MustOpen(absl::StrCat("sqlite://", dir.path, "/db?table=a"));
  auto b = MustOpen(absl::StrCat("sqlite://", dir.path, "/db?table=b"));
  std::string ea = *a->Set("k", "from a");
  std::string eb = *b->Set("k", "from b");
  CHECK(ea != eb);
  CHECK(a->Get("k")->value == "from a");
  CHECK(b->Get("k")->value == "from b");
  REQUIRE(a->Clear().ok());
  CHECK(b->Get("k")->value == "from b");
}

TEST_CASE("sqlite: etags are never reused after reopening the file") {
  TempDir dir;
  const std::string uri = absl::StrCat("sqlite://", dir.path, "/db");
  std::set<std::string> seen;
  for (int round = 0; round < 3; ++round) {
    auto store = MustOpen(uri);
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<std::string> etag = store->Set("k", "same");
      REQUIRE(etag.ok());
      CHECK(seen.insert(*etag).second);
    }
    REQUIRE(store->Remove("k").ok());
  }
}

TEST_CASE(
    "sqlite: a write lock held too long is Unavailable, nothing written") {
  TempDir dir;
  const std::string path = dir.path + "/db";
  auto store = MustOpen(absl::StrCat("sqlite://", path, "?busy_timeout_ms=50"));
  std::string etag = *store->Set("k", "v1");
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  cask::WriteOptions swap;
  swap.precondition = cask::Precondition::IfMatch(etag);
  CHECK(store->Set("k", "v2", swap).status().code() ==
        absl::StatusCode::kUnavailable);
  cask::Batch batch;
  batch.Put("k", "v3", swap);
  CHECK(store->Commit(batch).status().code() == absl::StatusCode::kUnavailable);
  // Readers are not blocked by the writer (WAL).
  CHECK(store->Get("k")->value == "v1");
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(other);
  CHECK(store->Set("k", "v2", swap).ok());
}

TEST_CASE("sqlite: an expired row is replaced by create-only, and purged") {
  TempDir dir;
  auto store = MustOpen(absl::StrCat("sqlite://", dir.path, "/db"));
  cask::WriteOptions ttl;
  ttl.ttl = absl::Milliseconds(20);
  REQUIRE(store->Set("t", "old", ttl).ok());
  absl::SleepFor(absl::Milliseconds(60));
  cask::WriteOptions create;
  create.precondition = cask::Precondition::CreateOnly();
  REQUIRE(store->Set("t", "new", create).ok());
  CHECK(store->Get("t")->value == "new");
  CHECK_FALSE(store->GetMeta("t")->expires.has_value());
}

}  // namespace
