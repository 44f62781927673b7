#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  HttpResponse* response;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  sink->response->body.append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line (after 100 Continue, a redirect): start over.
    sink->response->headers.clear();
    return size * n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = absl::AsciiStrToLower(ToAbsl(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1))));
  if (name == "content-length") {
    // Size the body once: values are read without reallocation.
    unsigned long long len = 0;
    if (std::sscanf(value.c_str(), "%llu", &len) == 1 && len < (1ull << 34)) {
      sink->response->body.reserve(len);
    }
  }
  sink->response->headers[name] = std::move(value);
  return size * n;
}

}  // namespace

struct HttpClient::Pool {
  absl::Mutex mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(mu);
};

HttpClient::HttpClient(HttpClientOptions options)
    : pool_(std::make_unique<Pool>()), options_(options) {
  GlobalInitOnce();
}

HttpClient::~HttpClient() {
  absl::MutexLock lock(&pool_->mu);
  for (CURL* h : pool_->idle) curl_easy_cleanup(h);
}

const std::string& HttpResponse::Header(const std::string& name) const {
  static const std::string* empty = new std::string;
  auto it = headers.find(name);
  return it == headers.end() ? *empty : it->second;
}

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request,
                                              std::string_view what) {
  CURL* h = nullptr;
  {
    absl::MutexLock lock(&pool_->mu);
    if (!pool_->idle.empty()) {
      h = pool_->idle.back();
      pool_->idle.pop_back();
    }
  }
  if (h == nullptr) h = curl_easy_init();
  if (h == nullptr)
    return absl::ResourceExhaustedError("curl_easy_init failed");
  curl_easy_reset(h);

  HttpResponse response;
  Sink sink{&response};
  curl_slist* headers = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(name, "content-type")) has_content_type = true;
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
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
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  if (options_.connect_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  }
  if (options_.request_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(
        h, CURLOPT_TIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
  }
  // libcurl silently re-sends a request whose reused connection turns out
  // dead before any answer byte. Servers close idle keep-alive connections
  // after a few seconds (Azurite: 5 s), so connections idle longer than
  // this are never reused: a CAS write is then not sent twice.
  curl_easy_setopt(
      h, CURLOPT_MAXAGE_CONN,
      static_cast<long>(absl::ToInt64Seconds(options_.max_idle_reuse)));
  if (options_.stall_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(
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
  {
    absl::MutexLock lock(&pool_->mu);
    if (static_cast<int>(pool_->idle.size()) < options_.max_idle_handles) {
      pool_->idle.push_back(h);
      h = nullptr;
    }
  }
  if (h != nullptr) curl_easy_cleanup(h);

  if (rc == CURLE_OK) return response;
  std::string detail = absl::StrCat(ToAbsl(what), " to ", request.url, ": ",
                                    curl_easy_strerror(rc));
  bool nothing_sent = rc == CURLE_COULDNT_CONNECT ||
                      rc == CURLE_COULDNT_RESOLVE_HOST ||
                      rc == CURLE_COULDNT_RESOLVE_PROXY || request_size == 0;
  if (nothing_sent) {
    return absl::UnavailableError(
        absl::StrCat(detail, " (nothing was sent; retry may help)"));
  }
  if (request.is_write) {
    return absl::UnknownError(absl::StrCat(
        detail,
        " (connection lost after the write was sent: the outcome is "
        "unknown; re-read before retrying)"));
  }
  return absl::UnavailableError(detail);
}

std::string UrlEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  return absl::Base64Escape(ToAbsl(data));
}

bool Base64Decode(std::string_view text, std::string* out) {
  return absl::Base64Unescape(ToAbsl(text), out);
}

std::string UnquoteEtag(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

Meta MetaFromHeaders(const HttpResponse& response) {
  Meta meta;
  meta.etag = UnquoteEtag(response.Header("etag"));
  meta.mtime = ParseHttpOrIsoTime(response.Header("last-modified"));
  std::uint64_t size = 0;
  if (absl::SimpleAtoi(response.Header("content-length"), &size)) {
    meta.size = size;
  }
  return meta;
}

absl::Time ParseHttpOrIsoTime(std::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", ToAbsl(text),
                      absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  if (absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) return t;
  return absl::InfinitePast();
}

std::string RandomHex(int bytes) {
  // random_device every time: a forked child must not repeat its parent.
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppendFormat(&out, "%02x", static_cast<unsigned>(rd() & 0xff));
  }
  return out;
}

}  // namespace cask::objstore
