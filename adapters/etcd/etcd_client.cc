#include "etcd_client.h"

#include <curl/curl.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "etcd_errors.h"

namespace cask::etcd_internal {
namespace {

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

EtcdClient::EtcdClient(const EtcdOptions& options) {
  GlobalInit();
  base_url_ = absl::StrCat("http://", options.host, ":", options.port);
  CURL* c = curl_easy_init();
  curl_ = c;
  if (c == nullptr) return;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      c, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(
      c, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never route via $http_proxy
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
}

EtcdClient::~EtcdClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<nlohmann::json> EtcdClient::Post(std::string_view path,
                                                const nlohmann::json& body,
                                                Access access,
                                                std::string_view what) {
  CURL* c = static_cast<CURL*>(curl_);
  const bool is_write = access == Access::kWrite;
  if (c == nullptr) {
    return absl::ResourceExhaustedError("etcd: cannot create a curl handle");
  }
  std::string url = absl::StrCat(base_url_, ToAbsl(path));
  std::string request = body.dump();
  std::string response;
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(request.size()));
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, is_write ? 1L : 0L);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) {
    long sent = 0;
    curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
    return TransportError(what, rc, curl_easy_strerror(rc), sent > 0, is_write);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return ServerError(what, status, response, is_write);
  try {
    return nlohmann::json::parse(response);
  } catch (const nlohmann::json::exception& e) {
    return MalformedReply(what, e.what());
  }
}

}  // namespace cask::etcd_internal
