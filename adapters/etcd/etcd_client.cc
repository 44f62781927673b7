#include "etcd_client.h"

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "etcd_errors.h"

namespace cask::etcd_internal {
namespace {

transport::TransportOptions TransportOptionsOf(const EtcdOptions& options) {
  transport::TransportOptions t;
  t.connect_timeout = options.connect_timeout;
  t.request_timeout = options.timeout;
  t.bypass_proxy = true;  // never route via $http_proxy
  return t;
}

}  // namespace

EtcdClient::EtcdClient(const EtcdOptions& options)
    : base_url_(absl::StrCat("http://", options.host, ":", options.port)),
      transport_(TransportOptionsOf(options)) {}

absl::StatusOr<nlohmann::json> EtcdClient::Post(std::string_view path,
                                                const nlohmann::json& body,
                                                transport::RequestKind kind,
                                                std::string_view what) {
  const bool is_write = kind == transport::RequestKind::kWrite;
  std::string payload = body.dump();
  transport::HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(base_url_, ToAbsl(path));
  request.headers = {{"Content-Type", "application/json"}};
  request.body = payload;
  request.has_body = true;
  request.kind = kind;
  absl::StatusOr<transport::HttpResponse> response =
      transport_.Send(request, absl::StrCat("etcd ", ToAbsl(what)));
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return ServerError(what, response->status, response->body, is_write);
  }
  try {
    return nlohmann::json::parse(response->body);
  } catch (const nlohmann::json::exception& e) {
    return MalformedReply(what, e.what());
  }
}

}  // namespace cask::etcd_internal
