// The store logic shared by the SQLite, PostgreSQL and MariaDB/MySQL
// adapters: one table per store, one algorithm, three dialects.
//
// Schema (created on first use, idempotently, under the dialect's schema
// lock): table <T> (k bytes PRIMARY KEY, v bytes, etag text, mtime bigint,
// expires bigint NULL) and <T>_meta, one row (id 1, store_id, counter).
// Times are microseconds since the Unix epoch, taken from the client's
// clock.
//
// Etags: "<hex number>.<store_id>". Numbers come from the persisted
// counter in <T>_meta, which a client advances by a block of
// SqlStoreOptions::etag_block at a time (one short autocommit statement per
// block) and then hands out locally. So a number is never handed out twice
// for a store, by any client, across restarts; the random store_id (16 hex
// digits, made when the table is created) keeps etags of two stores apart.
// Every write takes a fresh etag, also when the content is unchanged.
//
// CAS, one statement each (one round trip on a server):
//   no precondition            upsert
//   if_none_match *            insert, or replace an expired row
//                              (ON CONFLICT ... WHERE expired /
//                              ON DUPLICATE KEY UPDATE IF(expired, ...))
//   if_match <one strong tag>  UPDATE ... WHERE k AND etag AND not expired
//   remove if_match <tag>      DELETE ... WHERE k AND etag AND not expired
// 0 affected rows is a mismatch; the current etag for the error is read
// afterwards. Every other shape (lists, if_match *, if_none_match <tags>,
// both sides) and Commit run one transaction (the dialect's batch BEGIN):
// read each key with SELECT ... FOR UPDATE in key order, evaluate with the
// shared evaluator (cask/precondition.h), then write each key guarded by the
// etag just read (or by absence). A guard that fails (a row inserted
// meanwhile), a serialisation failure or a deadlock rolls the transaction
// back, and it is run again from the start; nothing was applied, so this is
// not a retry of a write with unknown outcome.
//
// TTL: the expires column; reads, scans and the guards ignore expired rows;
// expired rows are purged by Clear and whenever a client reserves a new
// etag block. Revisions, Changes, Watch and GetAt: not supported.
//
// Snapshots (where the dialect has snapshot_begin and the session can make
// another connection: PostgreSQL): each Snapshot opens a connection of its
// own and holds one read-only REPEATABLE READ transaction on it, whose
// first statement fixes the state every later read sees. Expiry is judged
// at the time the snapshot was taken. Any error ends that transaction
// (PostgreSQL aborts it), so from then on the snapshot answers kOutOfRange;
// the connection closes when the Snapshot is destroyed.
#ifndef CASK_ADAPTERS_SQL_COMMON_SQL_STORE_H_
#define CASK_ADAPTERS_SQL_COMMON_SQL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/driver.h"
#include "sql_session.h"

namespace cask::sql {

// The few places where the three dialects differ.
struct SqlDialect {
  // Column types of the data table.
  std::string key_type, value_type, etag_type, int_type;
  // Appended to CREATE TABLE (" ENGINE=InnoDB").
  std::string table_suffix;
  // " FOR UPDATE", or "" where BEGIN already locks the database (SQLite).
  std::string for_update;
  // Starts a write transaction for CAS and Commit.
  std::string begin;
  // Starts the transaction that creates the schema (when
  // schema_in_transaction).
  std::string schema_begin = "BEGIN";
  // Run after `schema_begin` while creating the schema, with the table name
  // as $1
  // ("" for none): serialises concurrent creators where CREATE TABLE IF NOT
  // EXISTS alone is not safe (PostgreSQL).
  std::string schema_lock;
  // Releases schema_lock at the end ("" when the transaction's end does).
  std::string schema_unlock;
  // Taken around every transaction-path operation, with the table name as
  // $1 ("" for none); must return 1 when granted. Serialises those
  // transactions per table where concurrent ones would otherwise deadlock
  // on gap locks of absent keys without end (InnoDB). `txn_unlock` releases
  // it.
  std::string txn_lock, txn_unlock;
  // Whether DDL runs inside `schema_begin` (false where DDL commits
  // implicitly).
  bool schema_in_transaction = true;
  // INSERT ... ON CONFLICT (PostgreSQL, SQLite) or ON DUPLICATE KEY UPDATE.
  bool on_duplicate_key = false;
  // UPDATE ... RETURNING; else LAST_INSERT_ID(expr) (MySQL).
  bool update_returning = true;
  // Starts a read-only transaction that sees one state of the database
  // throughout, run on a connection of its own for each Snapshot
  // (SqlSession::NewSession); "" where the store offers no snapshots.
  std::string snapshot_begin;
};

struct SqlStoreOptions {
  // Table holding the store; also names <table>_meta. Lower-case letters,
  // digits and '_', starting with a letter or '_', at most 48 bytes, not
  // ending in "_meta" or "_expires".
  std::string table = "cask";
  // Etag numbers reserved per round trip to the counter. 0 means 1.
  std::int64_t etag_block = 1024;
  // Largest value accepted, bytes; 0 means no limit of cask's own.
  std::uint64_t max_value_bytes = 0;
  // Times a transaction rolled back by a concurrent one is run again before
  // giving up with kUnavailable.
  int max_attempts = 200;
};

// kInvalidArgument unless `table` is a name SqlStoreOptions accepts.
absl::Status ValidateTableName(std::string_view table);

// Connects through `session`, creates the schema if missing and returns
// the store. kUnavailable when the server cannot be reached.
absl::StatusOr<std::unique_ptr<Driver>> OpenSqlStore(
    std::string name, std::unique_ptr<SqlSession> session, SqlDialect dialect,
    SqlStoreOptions options);

}  // namespace cask::sql

#endif  // CASK_ADAPTERS_SQL_COMMON_SQL_STORE_H_
