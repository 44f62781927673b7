#include "http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cask/string_view_compat.h"
#include "curl_status.h"

namespace cask::transport {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one Send, shared with libcurl's callbacks.
struct Exchange {
  HttpResponse* response;
  RequestKind kind;
  int attempts = 0;
  bool resend_refused = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<Exchange*>(user)->response->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  HttpResponse* response = static_cast<Exchange*>(user)->response;
  std::string_view line(data, size * n);
  if (absl::StartsWith(ToAbsl(line), "HTTP/")) {
    // A new status line (after 100 Continue): start over.
    response->headers.clear();
    return size * n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = absl::AsciiStrToLower(ToAbsl(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1))));
  if (name == "content-length") {
    // Size the body once: large values are read without reallocation.
    std::uint64_t length = 0;
    if (absl::SimpleAtoi(value, &length) && length < (std::uint64_t{1} << 34)) {
      response->body.reserve(length);
    }
  }
  response->headers[std::move(name)] = std::move(value);
  return size * n;
}

// Runs before every attempt to send the request, including libcurl's own
// re-send after a reused connection died unanswered: a write goes out once.
int OnBeforeRequest(void* user, char*, char*, int, int) {
  auto* exchange = static_cast<Exchange*>(user);
  if (++exchange->attempts > 1 && exchange->kind == RequestKind::kWrite) {
    exchange->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

long Millis(absl::Duration d) {
  return static_cast<long>(
      std::max<std::int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

const std::string& HttpResponse::Header(std::string_view name) const {
  static const std::string* const kEmpty = new std::string;
  auto it = headers.find(absl::AsciiStrToLower(ToAbsl(name)));
  return it == headers.end() ? *kEmpty : it->second;
}

bool HttpResponse::HasHeader(std::string_view name) const {
  return headers.count(absl::AsciiStrToLower(ToAbsl(name))) != 0;
}

struct HttpTransport::Pool {
  absl::Mutex mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(mu);
};

HttpTransport::HttpTransport(TransportOptions options)
    : pool_(std::make_unique<Pool>()), options_(options) {
  GlobalInitOnce();
}

HttpTransport::~HttpTransport() {
  absl::MutexLock lock(&pool_->mu);
  for (CURL* h : pool_->idle) curl_easy_cleanup(h);
}

absl::StatusOr<HttpResponse> HttpTransport::Send(const HttpRequest& request,
                                                 std::string_view what) {
  absl::Duration timeout = options_.request_timeout;
  if (request.deadline != absl::InfiniteFuture()) {
    absl::Duration left = request.deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          ToAbsl(what), ": the deadline passed before it was sent"));
    }
    if (timeout == absl::ZeroDuration() || left < timeout) timeout = left;
  }

  CURL* h = nullptr;
  {
    absl::MutexLock lock(&pool_->mu);
    if (!pool_->idle.empty()) {
      h = pool_->idle.back();
      pool_->idle.pop_back();
    }
  }
  if (h == nullptr) h = curl_easy_init();
  if (h == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat(ToAbsl(what), ": curl_easy_init failed"));
  }
  // Options go, the handle's kept-alive connection stays.
  curl_easy_reset(h);

  HttpResponse response;
  Exchange exchange{&response, request.kind};
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(name, "content-type")) has_content_type = true;
    headers = curl_slist_append(
        headers, value.empty() ? absl::StrCat(name, ":").c_str()
                               : absl::StrCat(name, ": ", value).c_str());
  }
  if (request.has_body && !has_content_type) {
    // Never libcurl's form default; no type at all for an empty body
    // (Azure signs the Content-Type it receives).
    headers = curl_slist_append(headers,
                                request.body.empty()
                                    ? "Content-Type:"
                                    : "Content-Type: application/octet-stream");
  }
  // No "Expect: 100-continue" round trip before large bodies.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, OnBeforeRequest);
  curl_easy_setopt(h, CURLOPT_PREREQDATA, &exchange);
  curl_easy_setopt(
      h, CURLOPT_MAXAGE_CONN,
      static_cast<long>(absl::ToInt64Seconds(options_.max_idle_reuse)));
  if (options_.bypass_proxy) curl_easy_setopt(h, CURLOPT_PROXY, "");
  if (options_.connect_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     Millis(options_.connect_timeout));
  }
  if (timeout > absl::ZeroDuration()) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, Millis(timeout));
  }
  if (options_.stall_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<std::int64_t>(
                         1, absl::ToInt64Seconds(options_.stall_timeout))));
  }
  if (!request.aws_sigv4.empty()) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, request.aws_sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_USERPWD, request.userpwd.c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.has_body) {
    // POSTFIELDS does not copy: the body goes out from the caller's memory.
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                     request.body.empty() ? "" : request.body.data());
  }

  CURLcode rc = curl_easy_perform(h);
  long request_size = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
  curl_slist_free_all(headers);
  if (rc == CURLE_OK) {
    absl::MutexLock lock(&pool_->mu);
    if (static_cast<int>(pool_->idle.size()) < options_.max_idle_handles) {
      pool_->idle.push_back(h);
      h = nullptr;
    }
  }
  // A failed handle's connection is suspect: drop it.
  if (h != nullptr) curl_easy_cleanup(h);
  if (rc == CURLE_OK) return response;

  FailedSend failure;
  failure.curl_code = rc;
  failure.detail = error;
  failure.sent = request_size > 0;
  failure.resend_refused = exchange.resend_refused;
  failure.kind = request.kind;
  return StatusFromCurl(failure, what, request.url);
}

}  // namespace cask::transport
