// The seam between the shared SQL store (sql_store.h) and one SQL client
// library: a SqlSession is one connection speaking one dialect. The store
// owns the logic (the precondition plans, commit, schema, etags, TTL); a
// session only runs statements and translates its library's errors.
//
// Statements use numbered placeholders `$1`, `$2`, ... (a session rewrites
// them to its library's form) and bind SqlParam values. Every call names its
// Effect, so that a lost connection maps to the right code: kUnknown only
// when the statement could have committed a write (an autocommit write or a
// COMMIT), kUnavailable otherwise (the server rolls back an open
// transaction whose connection dies).
//
// Thread safety: none; SqlStore serialises all use of its session.
#ifndef CASK_ADAPTERS_SQL_COMMON_SQL_SESSION_H_
#define CASK_ADAPTERS_SQL_COMMON_SQL_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cask::sql {

struct SqlParam {
  enum class Kind { kNull, kInt, kText, kBlob };
  Kind kind = Kind::kNull;
  std::int64_t i = 0;
  std::string_view s;  // kText / kBlob: must outlive the Exec call

  static SqlParam Null() { return {}; }
  static SqlParam Int(std::int64_t v) { return {Kind::kInt, v, {}}; }
  static SqlParam Text(std::string_view v) { return {Kind::kText, 0, v}; }
  static SqlParam Blob(std::string_view v) { return {Kind::kBlob, 0, v}; }
};

// Every column comes back as raw bytes (integers as decimal text); nullopt
// is SQL NULL.
using SqlRow = std::vector<std::optional<std::string>>;

struct SqlResult {
  std::vector<SqlRow> rows;
  std::int64_t affected = 0;  // rows inserted / updated / deleted
};

// What running a statement may do to the database; see the file comment.
enum class Effect {
  kRead,             // no write: a lost connection is kUnavailable
  kInTransaction,    // inside BEGIN..COMMIT: lost means rolled back
  kAutocommitWrite,  // a write that commits by itself: lost is kUnknown
  kCommit,           // COMMIT: lost is kUnknown
};

class SqlSession {
 public:
  virtual ~SqlSession() = default;

  // "sqlite", "postgres", "mysql": used in messages.
  virtual std::string_view backend() const = 0;
  // Connects if not connected. kUnavailable when the server cannot be
  // reached; the caller's operation has then sent nothing.
  virtual absl::Status EnsureConnected() = 0;
  // Runs one statement. Errors carry our codes (the session's errors file);
  // a serialisation failure or deadlock that rolled the whole transaction
  // back is TxnConflictError().
  virtual absl::StatusOr<SqlResult> Exec(std::string_view sql,
                                         const std::vector<SqlParam>& params,
                                         Effect effect) = 0;
  // A new, unconnected session to the same database with the same options
  // (a snapshot holds its transaction on a connection of its own); nullptr
  // where the library cannot (the store then has no snapshots).
  virtual std::unique_ptr<SqlSession> NewSession() const { return nullptr; }
};

// The server rolled the transaction back because of a concurrent one
// (serialisation failure, deadlock): nothing was applied, and running the
// whole transaction again is safe.
absl::Status TxnConflictError(std::string_view backend, std::string_view what);
bool IsTxnConflict(const absl::Status& status);

// The connection broke while running a statement with `effect`: kUnknown
// ("outcome unknown") when the statement could have committed a write,
// kUnavailable otherwise. `detail` is the library's own text.
absl::Status ConnectionLostError(std::string_view backend, Effect effect,
                                 std::string_view detail);

}  // namespace cask::sql

#endif  // CASK_ADAPTERS_SQL_COMMON_SQL_SESSION_H_
