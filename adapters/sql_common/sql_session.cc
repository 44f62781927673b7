#include "sql_session.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::sql {
namespace {
constexpr char kTxnConflictPayload[] = "cask.sql/txn-conflict";
}  // namespace

absl::Status TxnConflictError(std::string_view backend, std::string_view what) {
  absl::Status s = absl::AbortedError(
      absl::StrCat(ToAbsl(backend),
                   ": transaction rolled back by a concurrent "
                   "one (",
                   ToAbsl(what), ")"));
  s.SetPayload(kTxnConflictPayload, absl::Cord("1"));
  return s;
}

bool IsTxnConflict(const absl::Status& status) {
  return status.GetPayload(kTxnConflictPayload).has_value();
}

absl::Status ConnectionLostError(std::string_view backend, Effect effect,
                                 std::string_view detail) {
  if (effect == Effect::kAutocommitWrite || effect == Effect::kCommit) {
    return absl::UnknownError(absl::StrCat(
        ToAbsl(backend),
        ": connection lost after a write was sent; its outcome is unknown "
        "(re-read before retrying): ",
        ToAbsl(detail)));
  }
  return absl::UnavailableError(
      absl::StrCat(ToAbsl(backend),
                   ": connection lost; nothing was applied: ", ToAbsl(detail)));
}

}  // namespace cask::sql
