#include "error_status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {

absl::Status ErrorStatus(
    std::string_view op, std::string_view key, const ErrorAnswer& answer,
    std::initializer_list<std::string_view> too_large_codes,
    std::string_view missing_container_code, bool is_write) {
  const std::string_view code = answer.code;
  // The key is the caller's; code and message are the server's words:
  // all escaped and capped.
  std::string text =
      absl::StrCat(ToAbsl(answer.store), " ", ToAbsl(op), " ",
                   QuoteForMessage(key), ": HTTP ", answer.status, " ",
                   code.empty() ? std::string("(no error code)")
                                : EscapeForMessage(code, kMaxQuotedBytes),
                   answer.message.empty() ? "" : ": ",
                   EscapeForMessage(answer.message, kMaxBackendTextBytes));
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
  return absl::NotFoundError(absl::StrCat(ToAbsl(store), ": key ",
                                          QuoteForMessage(key), " not found"));
}

}  // namespace cask::objstore
