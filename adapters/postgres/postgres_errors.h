// Internal: libpq failures to cask status codes.
#ifndef CASK_ADAPTERS_POSTGRES_POSTGRES_ERRORS_H_
#define CASK_ADAPTERS_POSTGRES_POSTGRES_ERRORS_H_

#include <libpq-fe.h>

#include <string_view>

#include "absl/status/status.h"
#include "sql_session.h"

namespace cask {

// The status for a failed statement (`result` may be null) run with
// `effect` on `conn`.
absl::Status PostgresError(const PGresult* result, PGconn* conn,
                           sql::Effect effect, std::string_view what);

// The status for a failed connection attempt.
absl::Status PostgresConnectError(PGconn* conn);

}  // namespace cask

#endif  // CASK_ADAPTERS_POSTGRES_POSTGRES_ERRORS_H_
