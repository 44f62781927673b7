#include "error_status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {

absl::Status ErrorStatus(
    std::string_view op, std::string_view key, const ErrorAnswer& answer,
    std::initializer_list<std::string_view> too_large_codes,
    std::string_view missing_container_code, bool is_write) {
  const std::string_view code = answer.code;
  std::string text = absl::StrCat(
      ToAbsl(answer.store), " ", ToAbsl(op), " \"", ToAbsl(key), "\": HTTP ",
      answer.status, " ", code.empty() ? "(no error code)" : ToAbsl(code),
      answer.message.empty() ? "" : ": ", ToAbsl(answer.message));
  const long s = answer.status;
  if (s == 413 || std::find(too_large_codes.begin(), too_large_codes.end(),
                            code) != too_large_codes.end()) {
    return absl::ResourceExhaustedError(text);
  }
  if (s == 403) return absl::PermissionDeniedError(text);
  if (s == 404 && code == missing_container_code)
    return absl::FailedPreconditionError(text);
  if (s == 409 || s == 429 || s == 503) {
    return absl::UnavailableError(
        absl::StrCat(text, " (nothing applied; retry may help)"));
  }
  if (s >= 500) {
    if (is_write) {
      return absl::UnknownError(absl::StrCat(
          text,
          " (server error after the write was sent: the outcome is unknown)"));
    }
    return absl::UnavailableError(text);
  }
  if (s >= 400) return absl::InvalidArgumentError(text);
  return absl::InternalError(absl::StrCat(text, " (unexpected answer)"));
}

absl::Status KeyNotFound(std::string_view store, std::string_view key) {
  return absl::NotFoundError(
      absl::StrCat(ToAbsl(store), ": key \"", ToAbsl(key), "\" not found"));
}

}  // namespace cask::objstore
