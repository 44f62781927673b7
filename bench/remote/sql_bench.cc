// SQLite, PostgreSQL and MariaDB adapters: CAS throughput against the
// backend's own unconditional write (a plain prepared UPDATE) through the
// same client library, in the same run, plus round trips per operation.
//
//   CASK_BENCH_SQLITE_DIR     directory for the database file (else a new
//                             temporary directory under /var/tmp)
//   CASK_BENCH_POSTGRES_URL   (else CASK_TEST_POSTGRES_URL)
//   CASK_BENCH_MYSQL_URL      (else CASK_TEST_MYSQL_URL)
// A server backend without a URL reports its benchmarks as skipped.
//
// Counter round_trips_per_op: statements the server executed per iteration
// (PostgreSQL: pg_stat_statements calls, needs the extension, which
// tests/servers/postgres.sh loads; MariaDB: the Questions status), i.e.
// round trips, as every statement is one. SQLite runs in process: no
// round trips. docs/benchmarks/sql.md has the figures and the command.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench_util.h"
#include "cask/batch.h"
#include "cask/driver.h"
#include "uri.h"

#if CASK_BENCH_SQLITE
#include <sqlite3.h>

#include "sqlite_store.h"
#endif
#if CASK_BENCH_POSTGRES
#include <libpq-fe.h>

#include "postgres_store.h"
#endif
#if CASK_BENCH_MYSQL
#include <mysql.h>

#include "mysql_store.h"
#endif

namespace {

using cask::bench::Env;
using cask::bench::kValue;
using cask::bench::RunId;
using cask::bench::When;

std::string WithTable(const std::string& url, const std::string& table) {
  return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                      "table=", table);
}

// A backend under test: opens its cask store, runs the raw baseline write
// and reads the server's statement counter (-1 when it has none).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Unavailable() = 0;  // "" when usable
  virtual absl::StatusOr<std::unique_ptr<cask::Driver>> OpenStore(
      const std::string& table) = 0;
  virtual bool RawPrepare(const std::string& table) = 0;
  virtual bool RawUpdate(const std::string& key, const std::string& value) = 0;
  virtual std::int64_t Statements() = 0;
};

void ReportRoundTrips(benchmark::State& state, Backend& b,
                      std::int64_t before) {
  const std::int64_t after = b.Statements();
  if (before < 0 || after < 0 || state.iterations() == 0) return;
  state.counters["round_trips_per_op"] =
      static_cast<double>(after - before) /
      static_cast<double>(state.iterations());
}

std::unique_ptr<cask::Driver> Open(benchmark::State& state, Backend& b,
                                   const std::string& name) {
  if (std::string why = b.Unavailable(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return nullptr;
  }
  // A new table each time: Google Benchmark runs a function several times.
  static int n = 0;
  auto store =
      b.OpenStore(absl::StrCat("bench_", RunId(), "_", name, "_", ++n));
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(store);
}

// Baseline: the backend's own unconditional write, one prepared UPDATE of
// an existing row, through the same client library.
void RawUpdate(benchmark::State& state, Backend& b) {
  if (std::string why = b.Unavailable(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  static int n = 0;
  if (!b.RawPrepare(absl::StrCat("bench_raw_", RunId(), "_", ++n))) {
    state.SkipWithError("cannot prepare the raw table");
    return;
  }
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    if (!b.RawUpdate("k", kValue)) {
      state.SkipWithError("raw update failed");
      return;
    }
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

void StoreSet(benchmark::State& state, Backend& b) {
  auto store = Open(state, b, "set");
  if (store == nullptr) return;
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    if (!store->Set("k", kValue).ok()) {
      state.SkipWithError("set failed");
      return;
    }
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

// The CAS the race tests use: swap on the etag of the last write (one
// conditional UPDATE).
void StoreCas(benchmark::State& state, Backend& b) {
  auto store = Open(state, b, "cas");
  if (store == nullptr) return;
  absl::StatusOr<std::string> etag = store->Set("k", kValue);
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    etag = store->Set("k", kValue, When(cask::Precondition::IfMatch(*etag)));
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      return;
    }
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

// Create-only on fresh keys (one guarded INSERT).
void StoreCreateOnly(benchmark::State& state, Backend& b) {
  auto store = Open(state, b, "create");
  if (store == nullptr) return;
  std::int64_t i = 0;
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    if (!store
             ->Set(absl::StrCat("k", ++i), kValue,
                   When(cask::Precondition::CreateOnly()))
             .ok()) {
      state.SkipWithError("create-only failed");
      return;
    }
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

// An etag-list swap: the transaction path (BEGIN, SELECT FOR UPDATE,
// guarded UPDATE, COMMIT).
void StoreCasList(benchmark::State& state, Backend& b) {
  auto store = Open(state, b, "caslist");
  if (store == nullptr) return;
  absl::StatusOr<std::string> etag = store->Set("k", kValue);
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    cask::Precondition p;
    p.if_match = std::vector<std::string>{"other", *etag};
    etag = store->Set("k", kValue, When(p));
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      return;
    }
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

// A two-ref commit, both swapped on their etags.
void StoreCommit2(benchmark::State& state, Backend& b) {
  auto store = Open(state, b, "commit");
  if (store == nullptr) return;
  std::string ea = *store->Set("a", kValue), eb = *store->Set("b", kValue);
  const std::int64_t before = b.Statements();
  for (auto _ : state) {
    cask::Batch batch;
    batch.Put("a", kValue, When(cask::Precondition::IfMatch(ea)))
        .Put("b", kValue, When(cask::Precondition::IfMatch(eb)));
    absl::StatusOr<cask::CommitResult> r = store->Commit(batch);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    ea = r->etags[0];
    eb = r->etags[1];
  }
  ReportRoundTrips(state, b, before);
  state.SetItemsProcessed(state.iterations());
}

// The ratio in one loop: each iteration times one raw UPDATE and one CAS
// swap back to back, so load that comes and goes (a shared machine) hits
// both alike. cas_per_raw = CAS throughput / raw UPDATE throughput.
void PairedCasVsRaw(benchmark::State& state, Backend& b) {
  static int n = 0;
  if (std::string why = b.Unavailable(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  if (!b.RawPrepare(absl::StrCat("bench_pair_", RunId(), "_", ++n))) {
    state.SkipWithError("cannot prepare the raw table");
    return;
  }
  auto store = Open(state, b, "pair");
  if (store == nullptr) return;
  absl::StatusOr<std::string> etag = store->Set("k", kValue);
  using Clock = std::chrono::steady_clock;
  Clock::duration raw{}, cas{};
  for (auto _ : state) {
    const Clock::time_point t0 = Clock::now();
    if (!b.RawUpdate("k", kValue)) {
      state.SkipWithError("raw update failed");
      return;
    }
    const Clock::time_point t1 = Clock::now();
    etag = store->Set("k", kValue, When(cask::Precondition::IfMatch(*etag)));
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      return;
    }
    raw += t1 - t0;
    cas += Clock::now() - t1;
  }
  const double raw_s = std::chrono::duration<double>(raw).count();
  const double cas_s = std::chrono::duration<double>(cas).count();
  const double it = static_cast<double>(state.iterations());
  if (raw_s > 0 && cas_s > 0) {
    state.counters["raw_ops_per_s"] = it / raw_s;
    state.counters["cas_ops_per_s"] = it / cas_s;
    state.counters["cas_per_raw"] = raw_s / cas_s;
  }
}

#define CASK_SQL_BENCHMARKS(Name, backend)                                     \
  void BM_##Name##_RawUpdate(benchmark::State& s) { RawUpdate(s, backend()); } \
  void BM_##Name##_StoreSet(benchmark::State& s) { StoreSet(s, backend()); }   \
  void BM_##Name##_StoreCas(benchmark::State& s) { StoreCas(s, backend()); }   \
  void BM_##Name##_StoreCreateOnly(benchmark::State& s) {                      \
    StoreCreateOnly(s, backend());                                             \
  }                                                                            \
  void BM_##Name##_StoreCasList(benchmark::State& s) {                         \
    StoreCasList(s, backend());                                                \
  }                                                                            \
  void BM_##Name##_StoreCommit2(benchmark::State& s) {                         \
    StoreCommit2(s, backend());                                                \
  }                                                                            \
  void BM_##Name##_PairedCasVsRaw(benchmark::State& s) {                       \
    PairedCasVsRaw(s, backend());                                              \
  }                                                                            \
  BENCHMARK(BM_##Name##_PairedCasVsRaw)->UseRealTime();                        \
  BENCHMARK(BM_##Name##_RawUpdate)->UseRealTime();                             \
  BENCHMARK(BM_##Name##_StoreSet)->UseRealTime();                              \
  BENCHMARK(BM_##Name##_StoreCas)->UseRealTime();                              \
  BENCHMARK(BM_##Name##_StoreCreateOnly)->UseRealTime();                       \
  BENCHMARK(BM_##Name##_StoreCasList)->UseRealTime();                          \
  BENCHMARK(BM_##Name##_StoreCommit2)->UseRealTime()

#if CASK_BENCH_SQLITE
class SqliteBackend final : public Backend {
 public:
  SqliteBackend() {
    dir_ = Env("CASK_BENCH_SQLITE_DIR", nullptr);
    if (dir_.empty()) {
      char tmpl[] = "/var/tmp/cask-sql-bench.XXXXXX";
      if (mkdtemp(tmpl) != nullptr) dir_ = tmpl, owned_ = true;
    }
    path_ = dir_ + "/bench.db";
  }
  ~SqliteBackend() override {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    if (db_ != nullptr) sqlite3_close(db_);
    std::error_code ec;
    if (owned_) std::filesystem::remove_all(dir_, ec);
  }
  std::string Unavailable() override {
    return dir_.empty() ? "no directory for the database" : "";
  }
  absl::StatusOr<std::unique_ptr<cask::Driver>> OpenStore(
      const std::string& table) override {
    return cask::OpenSqliteStoreUri(
        absl::StrCat("sqlite://", path_, "?table=", table));
  }
  // The same file and settings as the store: WAL, synchronous=FULL.
  bool RawPrepare(const std::string& table) override {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    if (db_ == nullptr && sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) {
      return false;
    }
    sqlite3_busy_timeout(db_, 30000);
    const std::string setup = absl::StrCat(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE ",
        table,
        " (k BLOB PRIMARY KEY, v BLOB NOT NULL, mtime INTEGER NOT NULL); "
        "INSERT INTO ",
        table, " VALUES (X'6b', X'', 0);");
    if (sqlite3_exec(db_, setup.c_str(), nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return false;
    }
    const std::string update =
        absl::StrCat("UPDATE ", table, " SET v = ?1, mtime = ?2 WHERE k = ?3");
    return sqlite3_prepare_v2(db_, update.c_str(), -1, &stmt_, nullptr) ==
           SQLITE_OK;
  }
  bool RawUpdate(const std::string& key, const std::string& value) override {
    sqlite3_bind_blob(stmt_, 1, value.data(), value.size(), SQLITE_STATIC);
    sqlite3_bind_int64(stmt_, 2, absl::ToUnixMicros(absl::Now()));
    sqlite3_bind_blob(stmt_, 3, key.data(), key.size(), SQLITE_STATIC);
    const bool ok = sqlite3_step(stmt_) == SQLITE_DONE;
    sqlite3_reset(stmt_);
    return ok;
  }
  std::int64_t Statements() override { return -1; }

 private:
  std::string dir_, path_;
  bool owned_ = false;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

SqliteBackend& Sqlite() {
  static SqliteBackend b;  // destroyed at exit: removes its temp directory
  return b;
}
CASK_SQL_BENCHMARKS(Sqlite, Sqlite);
#endif

#if CASK_BENCH_POSTGRES
class PostgresBackend final : public Backend {
 public:
  PostgresBackend()
      : url_(Env("CASK_BENCH_POSTGRES_URL", "CASK_TEST_POSTGRES_URL")) {}
  std::string Unavailable() override {
    return url_.empty() ? "set CASK_BENCH_POSTGRES_URL" : "";
  }
  absl::StatusOr<std::unique_ptr<cask::Driver>> OpenStore(
      const std::string& table) override {
    return cask::OpenPostgresStoreUri(WithTable(url_, table));
  }
  bool Connect() {
    if (conn_ != nullptr) return PQstatus(conn_) == CONNECTION_OK;
    absl::StatusOr<cask::PostgresOptions> o =
        cask::PostgresOptions::FromUri(url_);
    if (!o.ok()) return false;
    const std::string info =
        absl::StrFormat("host=%s port=%d user=%s dbname=%s", o->host,
                        o->port ? o->port : 5432, o->user, o->database);
    conn_ = PQconnectdb(info.c_str());
    return PQstatus(conn_) == CONNECTION_OK;
  }
  bool Run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
                    PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  }
  bool RawPrepare(const std::string& table) override {
    if (!Connect()) return false;
    if (!Run(absl::StrCat("CREATE TABLE ", table,
                          " (k bytea PRIMARY KEY, v bytea NOT NULL, mtime "
                          "bigint NOT NULL)")) ||
        !Run(absl::StrCat("INSERT INTO ", table, " VALUES ('k', '', 0)"))) {
      return false;
    }
    Run("DEALLOCATE raw_update");
    PGresult* r = PQprepare(
        conn_, "raw_update",
        absl::StrCat("UPDATE ", table, " SET v = $1, mtime = $2 WHERE k = $3")
            .c_str(),
        3, nullptr);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  }
  bool RawUpdate(const std::string& key, const std::string& value) override {
    const std::string mtime = absl::StrCat(absl::ToUnixMicros(absl::Now()));
    const char* values[3] = {value.data(), mtime.c_str(), key.data()};
    const int lengths[3] = {static_cast<int>(value.size()), 0,
                            static_cast<int>(key.size())};
    const int formats[3] = {1, 0, 1};
    PGresult* r =
        PQexecPrepared(conn_, "raw_update", 3, values, lengths, formats, 1);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  }
  std::int64_t Statements() override {
    if (!Connect()) return -1;
    PGresult* r =
        PQexec(conn_, "SELECT sum(calls)::bigint FROM pg_stat_statements");
    std::int64_t n = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        !absl::SimpleAtoi(PQgetvalue(r, 0, 0), &n)) {
      n = -1;
    }
    PQclear(r);
    return n;
  }

 private:
  std::string url_;
  PGconn* conn_ = nullptr;
};

PostgresBackend& Postgres() {
  static auto* b = new PostgresBackend();
  return *b;
}
CASK_SQL_BENCHMARKS(Postgres, Postgres);
#endif

#if CASK_BENCH_MYSQL
class MysqlBackend final : public Backend {
 public:
  MysqlBackend() : url_(Env("CASK_BENCH_MYSQL_URL", "CASK_TEST_MYSQL_URL")) {}
  std::string Unavailable() override {
    return url_.empty() ? "set CASK_BENCH_MYSQL_URL" : "";
  }
  absl::StatusOr<std::unique_ptr<cask::Driver>> OpenStore(
      const std::string& table) override {
    return cask::OpenMysqlStoreUri(WithTable(url_, table));
  }
  bool Connect() {
    if (conn_ != nullptr) return true;
    absl::StatusOr<cask::MysqlOptions> o = cask::MysqlOptions::FromUri(url_);
    if (!o.ok()) return false;
    conn_ = mysql_init(nullptr);
    if (mysql_real_connect(conn_, o->host.c_str(), o->user.c_str(),
                           o->password.c_str(), o->database.c_str(),
                           o->port ? o->port : 3306, nullptr, 0) == nullptr) {
      mysql_close(conn_);
      conn_ = nullptr;
      return false;
    }
    return true;
  }
  bool Run(const std::string& sql) {
    return mysql_real_query(conn_, sql.data(), sql.size()) == 0;
  }
  // A server-side prepared statement through the same library.
  bool RawPrepare(const std::string& table) override {
    if (!Connect()) return false;
    if (!Run(absl::StrCat("CREATE TABLE ", table,
                          " (k VARBINARY(1024) PRIMARY KEY, v LONGBLOB NOT "
                          "NULL, mtime BIGINT NOT NULL) ENGINE=InnoDB")) ||
        !Run(absl::StrCat("INSERT INTO ", table, " VALUES ('k', '', 0)"))) {
      return false;
    }
    if (stmt_ != nullptr) mysql_stmt_close(stmt_);
    stmt_ = mysql_stmt_init(conn_);
    const std::string sql =
        absl::StrCat("UPDATE ", table, " SET v = ?, mtime = ? WHERE k = ?");
    return mysql_stmt_prepare(stmt_, sql.data(), sql.size()) == 0;
  }
  bool RawUpdate(const std::string& key, const std::string& value) override {
    long long mtime = absl::ToUnixMicros(absl::Now());
    unsigned long vlen = value.size(), klen = key.size();
    MYSQL_BIND bind[3] = {};
    bind[0].buffer_type = MYSQL_TYPE_BLOB;
    bind[0].buffer = const_cast<char*>(value.data());
    bind[0].buffer_length = vlen;
    bind[0].length = &vlen;
    bind[1].buffer_type = MYSQL_TYPE_LONGLONG;
    bind[1].buffer = &mtime;
    bind[2].buffer_type = MYSQL_TYPE_BLOB;
    bind[2].buffer = const_cast<char*>(key.data());
    bind[2].buffer_length = klen;
    bind[2].length = &klen;
    return mysql_stmt_bind_param(stmt_, bind) == 0 &&
           mysql_stmt_execute(stmt_) == 0;
  }
  std::int64_t Statements() override {
    if (!Connect() || !Run("SHOW GLOBAL STATUS LIKE 'Questions'")) return -1;
    MYSQL_RES* res = mysql_store_result(conn_);
    std::int64_t n = -1;
    if (res != nullptr) {
      MYSQL_ROW row = mysql_fetch_row(res);
      if (row == nullptr || row[1] == nullptr ||
          !absl::SimpleAtoi(row[1], &n)) {
        n = -1;
      }
      mysql_free_result(res);
    }
    return n;
  }

 private:
  std::string url_;
  MYSQL* conn_ = nullptr;
  MYSQL_STMT* stmt_ = nullptr;
};

MysqlBackend& Mysql() {
  static auto* b = new MysqlBackend();
  return *b;
}
CASK_SQL_BENCHMARKS(Mysql, Mysql);
#endif

}  // namespace

BENCHMARK_MAIN();
