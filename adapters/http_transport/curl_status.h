// The one translation of libcurl transport failures into cask status codes
// (docs/errors.md), for every adapter that sends through HttpTransport.
// Internal to adapters/http_transport.
#ifndef CASK_ADAPTERS_HTTP_TRANSPORT_CURL_STATUS_H_
#define CASK_ADAPTERS_HTTP_TRANSPORT_CURL_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "http_transport.h"

namespace cask::transport {

// What is known about a failed attempt, besides libcurl's code.
struct FailedSend {
  int curl_code = 0;        // a CURLcode
  std::string_view detail;  // libcurl's error buffer, or ""
  // Some of the request reached the socket.
  bool sent = false;
  // libcurl wanted to send the request again and the transport refused.
  bool resend_refused = false;
  RequestKind kind = RequestKind::kRead;
};

// `what` names the operation ("etcd txn", "s3 put \"k\""); `url` is
// where it went. A write that may have reached the server is kUnknown and
// says the outcome is unknown; anything that never left, or a read, is
// kUnavailable; a malformed URL kInvalidArgument; out of memory
// kResourceExhausted.
absl::Status StatusFromCurl(const FailedSend& failure, std::string_view what,
                            std::string_view url);

}  // namespace cask::transport

#endif  // CASK_ADAPTERS_HTTP_TRANSPORT_CURL_STATUS_H_
