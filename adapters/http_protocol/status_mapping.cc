#include "status_mapping.h"

#include "absl/strings/match.h"
#include "cask/string_view_compat.h"

namespace cask::http_protocol {

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kAborted:
      return 412;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kResourceExhausted: {
      absl::string_view m = status.message();
      bool disk = absl::StrContains(m, "disk full") ||
                  absl::StrContains(m, "No space") ||
                  absl::StrContains(m, "ENOSPC");
      return disk ? 507 : 413;
    }
    case absl::StatusCode::kOutOfRange:
      return 410;
    case absl::StatusCode::kDataLoss:
      return 500;
    case absl::StatusCode::kUnknown:
      return 502;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 500;
  }
}

absl::StatusCode CodeForHttpStatus(long http_status, bool write) {
  switch (http_status) {
    case 400:
    case 414:
    case 431:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kFailedPrecondition;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 412:
      return absl::StatusCode::kAborted;
    case 413:
    case 507:
      return absl::StatusCode::kResourceExhausted;
    case 429:
      // Too many requests: nothing was applied, try again later.
      return absl::StatusCode::kUnavailable;
    case 502:
      return absl::StatusCode::kUnknown;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      // A gateway gave up waiting: a write may have been applied.
      return write ? absl::StatusCode::kUnknown
                   : absl::StatusCode::kDeadlineExceeded;
    default:
      return http_status >= 500 ? absl::StatusCode::kInternal
                                : absl::StatusCode::kUnknown;
  }
}

std::optional<absl::StatusCode> CodeFromName(std::string_view name) {
  for (int c = 0; c <= 16; ++c) {
    auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == name) return code;
  }
  return std::nullopt;
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

}  // namespace cask::http_protocol
