// The one place SQLite's result codes become cask's.
#include "sqlite_errors.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask {

absl::Status SqliteError(int rc, sqlite3* db, sql::Effect effect,
                         std::string_view what) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = absl::StrCat("sqlite: ", ToAbsl(what), ": ", text);
  const bool may_have_written =
      effect == sql::Effect::kAutocommitWrite || effect == sql::Effect::kCommit;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      // A snapshot gone stale inside a transaction: it was rolled back.
      if (rc == SQLITE_BUSY_SNAPSHOT)
        return sql::TxnConflictError("sqlite", msg);
      [[fallthrough]];
    case SQLITE_LOCKED:
      // The busy timeout ran out before the statement could start writing.
      return absl::UnavailableError(
          absl::StrCat(msg, " (database locked; nothing written)"));
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(msg);
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(msg);
    case SQLITE_IOERR:
      // An I/O error while committing leaves the outcome to the journal.
      if (may_have_written) {
        return absl::UnknownError(absl::StrCat(
            msg, " (I/O error during a write: its outcome is unknown)"));
      }
      return absl::UnavailableError(msg);
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace cask
