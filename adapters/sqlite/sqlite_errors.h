// Internal: SQLite result codes to cask status codes.
#ifndef CASK_ADAPTERS_SQLITE_SQLITE_ERRORS_H_
#define CASK_ADAPTERS_SQLITE_SQLITE_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"
#include "sql_session.h"

struct sqlite3;

namespace cask {

// The status for extended result code `rc` returned while running a
// statement with `effect`; `what` says which operation failed.
absl::Status SqliteError(int rc, sqlite3* db, sql::Effect effect,
                         std::string_view what);

}  // namespace cask

#endif  // CASK_ADAPTERS_SQLITE_SQLITE_ERRORS_H_
