// postgres: a cask store in one table of a PostgreSQL database (libpq).
//
// Etags and CAS: the shared SQL store (adapters/sql_common/sql_store.h):
// etag "<hex number>.<store id>" from a counter persisted in <table>_meta
// (reserved in blocks, so never reused, by any client); a fresh etag on
// every write, also for unchanged content. One statement (one round trip)
// for an unconditional write (INSERT ... ON CONFLICT DO UPDATE), a
// create-only write (the same with WHERE <row expired>), a swap
// (UPDATE ... WHERE k AND etag, judged by affected rows) and a
// conditional delete. Other precondition shapes and Commit run in one
// SERIALIZABLE transaction: SELECT ... FOR UPDATE in key order, the shared
// evaluator, guarded writes; a serialisation failure or deadlock rolls it
// back and it runs again (nothing had been applied).
//
// Errors: connection refused → kUnavailable; connection lost while an
// autocommit write or COMMIT was in flight → kUnknown (outcome unknown);
// lost at any other point → kUnavailable. The next call reconnects. A CAS
// is never retried after an unknown outcome.
//
// Cannot do: revisions, Changes, Watch; TTL uses the client's clock.
// Values up to 512 MiB. Thread-safe: one connection per store object,
// behind a mutex (open several stores for parallelism).
#ifndef CASK_ADAPTERS_POSTGRES_POSTGRES_STORE_H_
#define CASK_ADAPTERS_POSTGRES_POSTGRES_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct PostgresOptions {
  // Server address; "" means libpq's default (its Unix socket).
  std::string host = "127.0.0.1";
  // TCP port; 0 means libpq's default (5432).
  std::uint16_t port = 0;
  std::string user;      // "" means libpq's default
  std::string password;  // "" means none
  std::string database;  // "" means libpq's default (the user name)
  // Table holding the store (and <table>_meta): lower-case letters, digits
  // and '_'.
  std::string table = "cask";
  // Seconds to wait for a connection; 0 means wait indefinitely.
  std::uint32_t connect_timeout_s = 5;
  // Other libpq connection keywords (sslmode, application_name, ...).
  std::map<std::string, std::string> extra;

  // postgres://user:pass@host:port/db?table=name&connect_timeout=5&sslmode=..
  // (scheme postgres or postgresql). Parameters other than table and
  // connect_timeout are passed to libpq. kInvalidArgument for another
  // scheme, a bad port, table or number.
  static absl::StatusOr<PostgresOptions> FromUri(std::string_view uri);
};

// Connects and creates the store's tables if missing. kUnavailable when the
// server cannot be reached.
absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresStore(
    PostgresOptions options);

// OpenPostgresStore(PostgresOptions::FromUri(uri)).
absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresStoreUri(
    std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_POSTGRES_POSTGRES_STORE_H_
