#include "curl_status.h"

#include <curl/curl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::transport {

absl::Status StatusFromCurl(const FailedSend& failure, std::string_view what,
                            std::string_view url) {
  const auto code = static_cast<CURLcode>(failure.curl_code);
  // The URL carries the caller's key, and libcurl's text may quote what
  // the server sent: both escaped and capped.
  const std::string detail =
      absl::StrCat(ToAbsl(what), " to ", QuoteForMessage(url), ": ",
                   failure.detail.empty()
                       ? std::string(curl_easy_strerror(code))
                       : EscapeForMessage(failure.detail, kMaxBackendTextBytes),
                   " (curl ", failure.curl_code, ")");
  bool sent = failure.sent;
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(absl::StrCat("bad URL: ", detail));
    case CURLE_OUT_OF_MEMORY:
      return absl::ResourceExhaustedError(detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      sent = false;  // no connection: nothing can have been sent
      break;
    case CURLE_SEND_FAIL_REWIND:
      sent = true;  // libcurl wanted to send the body a second time
      break;
    default:
      break;
  }
  if (failure.kind == RequestKind::kWrite && failure.resend_refused) {
    return absl::UnknownError(absl::StrCat(
        detail,
        ": the connection closed before an answer and the write was not "
        "sent again; the outcome is unknown (re-read before retrying)"));
  }
  if (failure.kind == RequestKind::kWrite && sent) {
    return absl::UnknownError(absl::StrCat(
        detail,
        ": connection lost after the write was sent; the outcome is unknown "
        "(re-read before retrying)"));
  }
  return absl::UnavailableError(
      absl::StrCat(detail, sent ? "" : " (nothing was sent; retry may help)"));
}

}  // namespace cask::transport
