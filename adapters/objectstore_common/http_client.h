// A small libcurl HTTP client shared by the object-store adapters (s3,
// azure_blob, azure_table): one request at a time per pooled easy handle,
// bodies sent straight from the caller's memory (no copy), responses read
// into one string sized from Content-Length.
//
// Transport failures are classified here, once, for every adapter:
//   kUnavailable  nothing reached the server (connect refused, DNS), or a
//                 read-only request failed: retrying may help.
//   kUnknown      a write's request went out and the connection broke
//                 before an answer: the outcome is unknown (said so in the
//                 message). Never retried here.
// HTTP statuses are returned to the adapter, which maps them.
//
// Not part of cask's public API. Thread-safe: handles are pooled.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_HTTP_CLIENT_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/types.h"

namespace cask::objstore {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // fully encoded
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent as is, without a copy; must outlive Send(). Ignored unless
  // has_body (an empty body still sends Content-Length: 0).
  std::string_view body;
  bool has_body = false;
  // libcurl's own AWS SigV4 signing, e.g. "aws:amz:us-east-1:s3", with
  // `userpwd` = "ACCESS:SECRET". Empty: no signing by curl.
  std::string aws_sigv4;
  std::string userpwd;
  // True for writes: a broken connection after sending is kUnknown.
  bool is_write = false;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent. `name` in lower case.
  const std::string& Header(const std::string& name) const;
};

struct HttpClientOptions {
  // Connect timeout; zero means libcurl's default (300 s).
  absl::Duration connect_timeout = absl::Seconds(10);
  // Whole-request timeout; zero means none (large values take long).
  absl::Duration request_timeout = absl::ZeroDuration();
  // A transfer that moves no byte for this long is abandoned (a write then
  // reports kUnknown); zero means wait forever.
  absl::Duration stall_timeout = absl::Seconds(60);
  // A kept-alive connection idle for longer is not reused (see Send).
  absl::Duration max_idle_reuse = absl::Seconds(2);
  // Most idle handles kept; more may exist while in use.
  int max_idle_handles = 8;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and returns the answer whatever its HTTP status; only a
  // transport failure is an error (see the header comment). `what` names
  // the operation for messages ("s3 put \"k\"").
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    std::string_view what);

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
  HttpClientOptions options_;
};

// Percent-encodes everything but RFC 3986 unreserved bytes; '/' too unless
// keep_slash.
std::string UrlEncode(std::string_view text, bool keep_slash = false);

// Standard base64 (with padding) and its inverse (false on bad input).
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

// Removes surrounding quotes and a weak "W/" prefix from an HTTP ETag.
std::string UnquoteEtag(std::string_view etag);

// RFC 7231 HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT") for `t`, and a
// parser for it and for ISO 8601 / RFC 3339 times; nullopt-like failure
// returns absl::InfinitePast().
std::string HttpDate(absl::Time t);
absl::Time ParseHttpOrIsoTime(std::string_view text);

// An object's metadata from the ETag, Last-Modified and Content-Length
// headers of a GET or HEAD answer (size 0 when Content-Length is absent).
Meta MetaFromHeaders(const HttpResponse& response);

// A random lower-case hex string of `bytes` random bytes.
std::string RandomHex(int bytes);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_HTTP_CLIENT_H_
