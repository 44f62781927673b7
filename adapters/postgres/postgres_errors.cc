// The one place PostgreSQL's errors (SQLSTATE codes, libpq connection
// state) become cask's status codes.
#include "postgres_errors.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

std::string Trimmed(const char* text) {
  return std::string(absl::StripTrailingAsciiWhitespace(text ? text : ""));
}

}  // namespace

absl::Status PostgresError(const PGresult* result, PGconn* conn,
                           sql::Effect effect, std::string_view what) {
  const char* state = result != nullptr
                          ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                          : nullptr;
  std::string detail = Trimmed(result != nullptr ? PQresultErrorMessage(result)
                                                 : PQerrorMessage(conn));
  if (detail.empty() && conn != nullptr) detail = Trimmed(PQerrorMessage(conn));
  const std::string msg = absl::StrCat(ToAbsl(what), ": ", detail);
  const std::string code = state != nullptr ? state : "";
  // No SQLSTATE or a dead connection: the link broke, not the statement.
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD || code.empty() ||
      absl::StartsWith(code, "08") || code == "57P01" || code == "57P02" ||
      code == "57P03") {
    return sql::ConnectionLostError("postgres", effect, msg);
  }
  if (code == "40001" || code == "40P01") {
    return sql::TxnConflictError("postgres", msg);
  }
  std::string full = absl::StrCat("postgres: ", msg, " (SQLSTATE ", code, ")");
  if (absl::StartsWith(code, "53") || code == "54000") {
    return absl::ResourceExhaustedError(full);
  }
  if (absl::StartsWith(code, "28") || code == "42501") {
    return absl::PermissionDeniedError(full);
  }
  if (code == "XX001" || code == "XX002") return absl::DataLossError(full);
  if (code == "57014") return absl::DeadlineExceededError(full);
  return absl::InternalError(full);
}

absl::Status PostgresConnectError(PGconn* conn) {
  return absl::UnavailableError(absl::StrCat(
      "postgres: cannot connect: ",
      Trimmed(conn != nullptr ? PQerrorMessage(conn) : "out of memory")));
}

}  // namespace cask
