#include "sqlite_store.h"

#include <sqlite3.h>

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "sql_store.h"
#include "sqlite_errors.h"
#include "uri.h"

namespace cask {
namespace {

// `$n` placeholders to SQLite's `?n`.
std::string ToSqlitePlaceholders(std::string_view sql) {
  std::string out(sql);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

class SqliteSession final : public sql::SqlSession {
 public:
  explicit SqliteSession(SqliteOptions options)
      : options_(std::move(options)) {}

  ~SqliteSession() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  std::string_view backend() const override { return "sqlite"; }

  absl::Status EnsureConnected() override {
    if (db_ != nullptr) return absl::OkStatus();
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(
        options_.path.c_str(), &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    if (rc != SQLITE_OK) {
      absl::Status s = SqliteError(rc, db, sql::Effect::kRead,
                                   absl::StrCat("open ", options_.path));
      sqlite3_close_v2(db);
      return s;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(options_.busy_timeout_ms));
    const std::string pragmas =
        absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                     options_.synchronous_full ? "FULL" : "NORMAL", ";");
    rc = sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      absl::Status s = SqliteError(rc, db, sql::Effect::kRead,
                                   absl::StrCat("configure ", options_.path));
      sqlite3_close_v2(db);
      return s;
    }
    db_ = db;
    return absl::OkStatus();
  }

  absl::StatusOr<sql::SqlResult> Exec(std::string_view sql,
                                      const std::vector<sql::SqlParam>& params,
                                      sql::Effect effect) override {
    if (absl::Status s = EnsureConnected(); !s.ok()) return s;
    absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql, effect);
    if (!prepared.ok()) return prepared.status();
    sqlite3_stmt* stmt = *prepared;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const sql::SqlParam& p = params[i];
      const int n = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      switch (p.kind) {
        case sql::SqlParam::Kind::kNull:
          rc = sqlite3_bind_null(stmt, n);
          break;
        case sql::SqlParam::Kind::kInt:
          rc = sqlite3_bind_int64(stmt, n, p.i);
          break;
        case sql::SqlParam::Kind::kText:
          rc = sqlite3_bind_text64(stmt, n, p.s.data(), p.s.size(),
                                   SQLITE_STATIC, SQLITE_UTF8);
          break;
        case sql::SqlParam::Kind::kBlob:
          // A non-null pointer even for an empty value: NULL would bind NULL.
          rc = sqlite3_bind_blob64(stmt, n, p.s.empty() ? "" : p.s.data(),
                                   p.s.size(), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(stmt);
        return SqliteError(rc, db_, effect, "bind");
      }
    }
    sql::SqlResult result;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const int columns = sqlite3_column_count(stmt);
      sql::SqlRow row(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            break;
          case SQLITE_INTEGER:
            row[c] = absl::StrCat(sqlite3_column_int64(stmt, c));
            break;
          default: {
            const void* data = sqlite3_column_blob(stmt, c);
            const int size = sqlite3_column_bytes(stmt, c);
            row[c] = std::string(static_cast<const char*>(data),
                                 data != nullptr ? size : 0);
          }
        }
      }
      result.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      absl::Status s = SqliteError(sqlite3_extended_errcode(db_), db_, effect,
                                   "run statement");
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      return s;
    }
    result.affected = sqlite3_changes(db_);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return result;
  }

 private:
  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql,
                                        sql::Effect effect) {
    std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) {
      return it->second;
    }
    const std::string text = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(rc, db_, effect, absl::StrCat("prepare ", text));
    }
    statements_.emplace(std::move(key), stmt);
    return stmt;
  }

  const SqliteOptions options_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

sql::SqlDialect SqliteDialect() {
  sql::SqlDialect d;
  d.key_type = "BLOB";
  d.value_type = "BLOB";
  d.etag_type = "TEXT";
  d.int_type = "INTEGER";
  d.for_update = "";  // BEGIN IMMEDIATE holds the database's write lock
  d.begin = "BEGIN IMMEDIATE";
  d.schema_begin = "BEGIN IMMEDIATE";
  d.schema_in_transaction = true;
  d.on_duplicate_key = false;
  d.update_returning = true;
  return d;
}

absl::Status BadUri(std::string_view uri, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad sqlite URI \"", ToAbsl(uri), "\": ", ToAbsl(why),
                   " (expected sqlite:///absolute/path.db?table=name)"));
}

}  // namespace

absl::StatusOr<SqliteOptions> SqliteOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "sqlite") return BadUri(text, "scheme is not sqlite");
  if (!uri->host.empty() || uri->port || !uri->user.empty()) {
    return BadUri(text, "a sqlite URI has no host");
  }
  if (uri->path.empty() || uri->path[0] != '/') {
    return BadUri(text, "the path must be absolute");
  }
  SqliteOptions options;
  options.path = uri->path;
  options.table = uri->Param("table", options.table);
  if (absl::Status s = sql::ValidateTableName(options.table); !s.ok()) {
    return BadUri(text, ToStd(s.message()));
  }
  absl::StatusOr<std::uint64_t> timeout =
      uri->UintParam("busy_timeout_ms", options.busy_timeout_ms);
  if (!timeout.ok()) return BadUri(text, ToStd(timeout.status().message()));
  if (*timeout > 86400000) return BadUri(text, "busy_timeout_ms too large");
  options.busy_timeout_ms = static_cast<std::uint32_t>(*timeout);
  std::string sync = absl::AsciiStrToLower(uri->Param("synchronous", "full"));
  if (sync != "full" && sync != "normal") {
    return BadUri(text, "synchronous must be full or normal");
  }
  options.synchronous_full = sync == "full";
  for (const auto& [name, value] : uri->query) {
    if (name != "table" && name != "busy_timeout_ms" && name != "synchronous") {
      return BadUri(text, absl::StrCat("unknown parameter \"", name, "\""));
    }
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteStore(SqliteOptions options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("sqlite store needs a database path");
  }
  sql::SqlStoreOptions store;
  store.table = options.table;
  // SQLite's default SQLITE_MAX_LENGTH.
  store.max_value_bytes = 1000000000;
  return sql::OpenSqlStore("sqlite",
                           std::make_unique<SqliteSession>(std::move(options)),
                           SqliteDialect(), std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteStoreUri(
    std::string_view uri) {
  absl::StatusOr<SqliteOptions> options = SqliteOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return OpenSqliteStore(*std::move(options));
}

}  // namespace cask
