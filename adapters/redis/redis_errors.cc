#include "redis_errors.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::redis_internal {

absl::Status ConnectError(std::string_view address, std::string_view detail) {
  return absl::UnavailableError(absl::StrCat(
      "redis: cannot connect to ", ToAbsl(address), ": ", ToAbsl(detail)));
}

absl::Status IoError(std::string_view what, std::string_view detail,
                     Phase phase, bool is_write) {
  if (phase == Phase::kSent && is_write) {
    return absl::UnknownError(absl::StrCat(
        "redis: connection lost after ", ToAbsl(what),
        " was sent; the outcome is unknown (it may or may not have been "
        "applied): ",
        ToAbsl(detail)));
  }
  return absl::UnavailableError(
      absl::StrCat("redis: connection failed during ", ToAbsl(what),
                   phase == Phase::kNotSent ? " before it was sent" : "",
                   "; nothing was applied: ", ToAbsl(detail)));
}

absl::Status ReplyError(std::string_view what, std::string_view text) {
  absl::string_view t = ToAbsl(text);
  std::string msg = absl::StrCat("redis: ", ToAbsl(what), ": ", t);
  // Error replies start with an upper-case code word (RESP convention).
  if (absl::StartsWith(t, "OOM")) return absl::ResourceExhaustedError(msg);
  // The server refused before running the command: safe to retry.
  for (absl::string_view code : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN",
                                 "READONLY", "CLUSTERDOWN", "MISCONF"}) {
    if (absl::StartsWith(t, code)) return absl::UnavailableError(msg);
  }
  for (absl::string_view code : {"NOAUTH", "WRONGPASS", "NOPERM"}) {
    if (absl::StartsWith(t, code)) return absl::PermissionDeniedError(msg);
  }
  // A key of the store holds something this adapter did not write.
  if (absl::StartsWith(t, "WRONGTYPE")) {
    return absl::FailedPreconditionError(msg);
  }
  if (absl::StrContains(t, "max number of clients")) {
    return absl::UnavailableError(msg);
  }
  if (absl::StrContains(t, "DB index is out of range")) {
    return absl::InvalidArgumentError(msg);
  }
  return absl::InternalError(msg);
}

bool IsNoScript(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInternal &&
         absl::StrContains(status.message(), ": NOSCRIPT ");
}

}  // namespace cask::redis_internal
