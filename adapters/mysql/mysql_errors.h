// Internal: MariaDB / MySQL client and server errors to cask status codes.
#ifndef CASK_ADAPTERS_MYSQL_MYSQL_ERRORS_H_
#define CASK_ADAPTERS_MYSQL_MYSQL_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"
#include "sql_session.h"

namespace cask {

// True when error number `err` means the connection is gone.
bool MysqlConnectionLost(unsigned err);

// The status for error `err` (message `text`) of a statement run with
// `effect`.
absl::Status MysqlError(unsigned err, std::string_view text, sql::Effect effect,
                        std::string_view what);

// The status for a failed connection attempt.
absl::Status MysqlConnectError(unsigned err, std::string_view text);

}  // namespace cask

#endif  // CASK_ADAPTERS_MYSQL_MYSQL_ERRORS_H_
