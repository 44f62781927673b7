// The one place MariaDB / MySQL error numbers become cask's status codes.
#include "mysql_errors.h"

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

// Client errors (errmsg.h) and server errors (mysqld_error.h) used here.
constexpr unsigned kConnectionError = 2002;       // CR_CONNECTION_ERROR
constexpr unsigned kConnHostError = 2003;         // CR_CONN_HOST_ERROR
constexpr unsigned kServerGone = 2006;            // CR_SERVER_GONE_ERROR
constexpr unsigned kServerLost = 2013;            // CR_SERVER_LOST
constexpr unsigned kServerLostExtended = 2055;    // CR_SERVER_LOST_EXTENDED
constexpr unsigned kConnectionKilled = 1927;      // ER_CONNECTION_KILLED
constexpr unsigned kServerShutdown = 1053;        // ER_SERVER_SHUTDOWN
constexpr unsigned kDeadlock = 1213;              // ER_LOCK_DEADLOCK
constexpr unsigned kLockWaitTimeout = 1205;       // ER_LOCK_WAIT_TIMEOUT
constexpr unsigned kPacketTooLarge = 1153;        // ER_NET_PACKET_TOO_LARGE
constexpr unsigned kClientPacketTooLarge = 2020;  // CR_NET_PACKET_TOO_LARGE
constexpr unsigned kTableFull = 1114;             // ER_RECORD_FILE_FULL
constexpr unsigned kDiskFull = 1021;              // ER_DISK_FULL
constexpr unsigned kDbAccessDenied = 1044;        // ER_DBACCESS_DENIED_ERROR
constexpr unsigned kAccessDenied = 1045;          // ER_ACCESS_DENIED_ERROR
constexpr unsigned kTableAccessDenied = 1142;     // ER_TABLEACCESS_DENIED_ERROR
constexpr unsigned kBadDb = 1049;                 // ER_BAD_DB_ERROR

}  // namespace

bool MysqlConnectionLost(unsigned err) {
  return err == kConnectionError || err == kConnHostError ||
         err == kServerGone || err == kServerLost ||
         err == kServerLostExtended || err == kConnectionKilled ||
         err == kServerShutdown;
}

absl::Status MysqlError(unsigned err, std::string_view text, sql::Effect effect,
                        std::string_view what) {
  const std::string msg =
      absl::StrCat(ToAbsl(what), ": ", ToAbsl(text), " (error ", err, ")");
  if (MysqlConnectionLost(err)) {
    return sql::ConnectionLostError("mysql", effect, msg);
  }
  // InnoDB rolled the whole transaction back.
  if (err == kDeadlock) return sql::TxnConflictError("mysql", msg);
  const std::string full = absl::StrCat("mysql: ", msg);
  // Only the statement was rolled back; the store rolls back the rest.
  if (err == kLockWaitTimeout) {
    return absl::UnavailableError(absl::StrCat(full, "; nothing was written"));
  }
  if (err == kPacketTooLarge || err == kClientPacketTooLarge ||
      err == kTableFull || err == kDiskFull) {
    return absl::ResourceExhaustedError(full);
  }
  if (err == kDbAccessDenied || err == kAccessDenied ||
      err == kTableAccessDenied) {
    return absl::PermissionDeniedError(full);
  }
  return absl::InternalError(full);
}

absl::Status MysqlConnectError(unsigned err, std::string_view text) {
  const std::string msg = absl::StrCat("mysql: cannot connect: ", ToAbsl(text),
                                       " (error ", err, ")");
  if (err == kDbAccessDenied || err == kAccessDenied) {
    return absl::PermissionDeniedError(msg);
  }
  if (err == kBadDb) return absl::NotFoundError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace cask
