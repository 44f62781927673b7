// mysql: a cask store in one InnoDB table of a MariaDB database, through
// libmariadb (the MySQL protocol; URI scheme mysql:// or mariadb://).
//
// Etags and CAS: the shared SQL store (adapters/sql_common/sql_store.h):
// etag "<hex number>.<store id>" from a counter persisted in <table>_meta
// (reserved in blocks with UPDATE ... SET counter = LAST_INSERT_ID(counter
// + n), so never reused, by any client); a fresh etag on every write, also
// for unchanged content. One statement (one round trip) for an
// unconditional write (INSERT ... ON DUPLICATE KEY UPDATE), a create-only
// write (the same, with every assignment IF(<row expired>, new, old)), a
// swap (UPDATE ... WHERE k AND etag) and a conditional delete; the outcome
// is read from affected rows. MariaDB counts *changed* rows, and that is
// sound here because a successful write always changes the etag, so
// changed = matched (no CLIENT_FOUND_ROWS). Other precondition shapes and
// Commit run in one REPEATABLE READ transaction: SELECT ... FOR UPDATE in
// key order (InnoDB also locks the gap of an absent key), the shared
// evaluator, guarded writes; a deadlock rolls it back and it runs again
// after a random pause (nothing had been applied). Because gap locks of
// absent keys let concurrent commits deadlock without end, these
// transactions take turns per table under a named lock
// (GET_LOCK('cask:<table>:txn'), two more round trips); the one-statement
// writes never wait for it.
//
// Statements with parameters are server-side prepared statements (prepared
// once per connection, binary values); the largest value is
// max_allowed_packet - 4 KiB, read from the server at open; larger ones are
// kResourceExhausted before anything is sent.
//
// Errors: connection refused → kUnavailable; connection lost while an
// autocommit write or COMMIT was in flight → kUnknown (outcome unknown);
// lost at any other point → kUnavailable. The next call reconnects. A CAS
// is never retried after an unknown outcome.
//
// Cannot do: revisions, Changes, Watch; TTL uses the client's clock.
// Needs MariaDB ≥ 10.1.4 (CREATE INDEX IF NOT EXISTS, which MySQL lacks:
// MySQL servers are not supported yet); tested on MariaDB 10.11 only.
// Thread-safe: one connection per store object, behind a mutex.
#ifndef CASK_ADAPTERS_MYSQL_MYSQL_STORE_H_
#define CASK_ADAPTERS_MYSQL_MYSQL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct MysqlOptions {
  std::string host = "127.0.0.1";
  // TCP port; 0 means 3306.
  std::uint16_t port = 0;
  std::string user = "root";
  std::string password;  // "" means none
  std::string database;  // required
  // Table holding the store (and <table>_meta): lower-case letters, digits
  // and '_'.
  std::string table = "cask";
  // Seconds to wait for a connection; 0 means the library default.
  std::uint32_t connect_timeout_s = 5;

  // mysql://user:pass@host:port/db?table=name&connect_timeout=5 (scheme
  // mysql or mariadb). kInvalidArgument for another scheme, a missing
  // database, a bad port, table, number or unknown parameter.
  static absl::StatusOr<MysqlOptions> FromUri(std::string_view uri);
};

// Connects and creates the store's tables if missing. kUnavailable when the
// server cannot be reached.
absl::StatusOr<std::unique_ptr<Driver>> OpenMysqlStore(MysqlOptions options);

// OpenMysqlStore(MysqlOptions::FromUri(uri)).
absl::StatusOr<std::unique_ptr<Driver>> OpenMysqlStoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_MYSQL_MYSQL_STORE_H_
