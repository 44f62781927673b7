// sqlite: a cask store in one table of an SQLite database file, shared
// safely by any number of threads and processes on one machine.
//
// Etags and CAS: the shared SQL store (adapters/sql_common/sql_store.h):
// etag "<hex number>.<store id>" from a counter persisted in <table>_meta,
// never reused; a fresh etag on every write, also for unchanged content.
// Unconditional, create-only and single-etag writes are one statement
// (INSERT ... ON CONFLICT DO UPDATE [WHERE expired], UPDATE ... WHERE etag);
// other precondition shapes and Commit run in one BEGIN IMMEDIATE
// transaction that evaluates them with the shared evaluator, so every
// writer, in any process, is serialised by SQLite's write lock.
//
// Processes: the database runs in WAL mode with a busy timeout, so readers
// never block the writer and writers wait for each other instead of failing;
// a writer still waiting after the timeout gets kUnavailable (nothing
// written). The file must be on a local file system (WAL needs shared
// memory). Durability: synchronous=FULL by default.
//
// Cannot do: revisions, Changes, Watch. TTL uses the client's clock.
// Thread-safe (one connection per store object, behind a mutex).
#ifndef CASK_ADAPTERS_SQLITE_SQLITE_STORE_H_
#define CASK_ADAPTERS_SQLITE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct SqliteOptions {
  // Database file; created when missing (its directory must exist).
  std::string path;
  // Table holding the store (and <table>_meta): lower-case letters, digits
  // and '_'.
  std::string table = "cask";
  // How long a writer waits for another's write lock, milliseconds; 0 means
  // fail at once with kUnavailable.
  std::uint32_t busy_timeout_ms = 30000;
  // PRAGMA synchronous: true = FULL (an acknowledged write survives power
  // loss), false = NORMAL (survives a process crash; faster).
  bool synchronous_full = true;

  // sqlite:///abs/path.db?table=name&busy_timeout_ms=N&synchronous=full|normal
  // kInvalidArgument for another scheme, a host, an empty or relative path,
  // a bad table name or parameter.
  static absl::StatusOr<SqliteOptions> FromUri(std::string_view uri);
};

// Opens (creating if needed) the database and the store's table.
// kUnavailable when the file cannot be opened or stays locked.
absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteStore(SqliteOptions options);

// OpenSqliteStore(SqliteOptions::FromUri(uri)).
absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteStoreUri(
    std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_SQLITE_SQLITE_STORE_H_
