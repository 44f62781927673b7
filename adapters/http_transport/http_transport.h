// The one libcurl HTTP transport of every adapter that speaks HTTP (http,
// etcd, s3, azure_blob, azure_table): pooled handles with kept-alive
// connections, timeouts and a per-request deadline, and one translation of
// transport failures into cask codes (curl_status.h). HTTP statuses are
// returned to the adapter, whose errors file maps them.
//
// A write is never sent twice. libcurl silently re-sends a request on a
// fresh connection when a reused keep-alive connection dies before the
// first byte of an answer (the server closed it as the request went out,
// or crashed after receiving it). For a compare-and-swap that second copy
// either applies the write twice or fails its precondition against the
// first copy's own success, a false mismatch. The transport watches every
// send of a write (libcurl's pre-request callback runs once per attempt)
// and aborts a second attempt: the caller gets kUnknown ("the outcome is
// unknown") and decides, typically by re-reading. Reads may be re-sent.
// Connections idle for longer than `max_idle_reuse` are not reused, which
// keeps that case rare against servers that close idle connections.
//
// Not part of cask's public API. Thread-safe: Send may be called from any
// number of threads; each call takes a handle from the pool.
#ifndef CASK_ADAPTERS_HTTP_TRANSPORT_HTTP_TRANSPORT_H_
#define CASK_ADAPTERS_HTTP_TRANSPORT_HTTP_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cask::transport {

// What a request may do to the data behind the server. Decides the code of
// a lost answer (kUnavailable for a read, kUnknown for a write that went
// out) and whether libcurl may send it again.
enum class RequestKind { kRead, kWrite };

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // fully encoded
  // Sent as "name: value". An empty value removes a header libcurl would
  // add by itself ("Content-Type" with "" sends none).
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent from the caller's memory, without a copy; must outlive Send().
  // Ignored unless has_body (an empty body still sends Content-Length: 0).
  // Without a Content-Type header, a body goes as application/octet-stream
  // and an empty one with no type.
  std::string_view body;
  bool has_body = false;
  RequestKind kind = RequestKind::kRead;
  // libcurl's own AWS SigV4 signing, e.g. "aws:amz:us-east-1:s3", with
  // `userpwd` = "ACCESS:SECRET". Empty: no signing.
  std::string aws_sigv4;
  std::string userpwd;
  // The request fails (kUnknown for a write that went out, kUnavailable
  // otherwise) when it is not answered by then; InfiniteFuture: only the
  // transport's request_timeout applies. A deadline already past fails
  // with kDeadlineExceeded before anything is sent.
  absl::Time deadline = absl::InfiniteFuture();
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent; `name` in any case.
  const std::string& Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct TransportOptions {
  // Connect timeout; zero means libcurl's default (300 s).
  absl::Duration connect_timeout = absl::Seconds(10);
  // Whole-request timeout; zero means none (large values take long).
  absl::Duration request_timeout = absl::ZeroDuration();
  // A transfer that moves no byte for this long is abandoned (a write then
  // reports kUnknown); zero means wait forever.
  absl::Duration stall_timeout = absl::ZeroDuration();
  // A kept-alive connection idle for longer is not reused: servers close
  // idle connections after a few seconds (cask serve and Azurite: 5 s).
  absl::Duration max_idle_reuse = absl::Seconds(2);
  // Most idle handles (each with its kept-alive connection) kept.
  int max_idle_handles = 8;
  // Ignore $http_proxy and friends (a server on this machine or a LAN).
  bool bypass_proxy = false;
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions options = {});
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends `request` and returns the answer whatever its HTTP status; only
  // a transport failure is an error:
  //   kUnavailable      nothing was sent (connection refused, DNS), or a
  //                     read failed: retrying may help.
  //   kUnknown          a write went out and no answer came back (the
  //                     connection broke, a timeout, or libcurl wanted to
  //                     send it a second time): the outcome is unknown.
  //   kDeadlineExceeded request.deadline had passed; nothing was sent.
  //   kInvalidArgument  a malformed URL.
  //   kResourceExhausted out of memory in libcurl.
  // `what` names the operation for messages ("s3 put \"k\"").
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    std::string_view what);

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
  TransportOptions options_;
};

}  // namespace cask::transport

#endif  // CASK_ADAPTERS_HTTP_TRANSPORT_HTTP_TRANSPORT_H_
