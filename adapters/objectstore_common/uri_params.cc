#include "uri_params.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {

absl::StatusOr<bool> BoolParam(const Uri& uri, std::string_view name,
                               bool fallback) {
  std::string v = absl::AsciiStrToLower(uri.Param(name, fallback ? "1" : "0"));
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat("URI parameter ", ToAbsl(name),
                                                 "=", QuoteForMessage(v),
                                                 " is not a boolean"));
}

absl::Status ParseWriteParams(
    const Uri& uri, absl::FunctionRef<absl::Status(std::string_view)> bad,
    int* conflict_retries, std::uint64_t* max_value_bytes) {
  absl::StatusOr<std::uint64_t> retries = uri.UintParam("conflict_retries", 8);
  if (!retries.ok()) return retries.status();
  if (*retries > 1000) return bad("conflict_retries over 1000");
  *conflict_retries = static_cast<int>(*retries);
  absl::StatusOr<std::uint64_t> max = uri.UintParam("max_value_bytes", 0);
  if (!max.ok()) return max.status();
  *max_value_bytes = *max;
  return absl::OkStatus();
}

}  // namespace cask::objstore
