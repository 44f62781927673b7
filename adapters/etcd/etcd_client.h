// JSON requests to etcd's v3 gateway over the shared HTTP transport
// (adapters/http_transport), with cask's failure semantics
// (etcd_errors.h). Internal to adapters/etcd. Thread-safe.
#ifndef CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_
#define CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "etcd_store.h"
#include "http_transport.h"

namespace cask::etcd_internal {

class EtcdClient {
 public:
  explicit EtcdClient(const EtcdOptions& options);
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs `body` to `path` ("/v3/kv/txn"...) and returns the parsed reply.
  // `kind`: whether the request may change data (etcd reads by POST too),
  // which decides kUnavailable vs kUnknown when its reply is lost and
  // whether it may ever be sent twice (never, for a write).
  absl::StatusOr<nlohmann::json> Post(std::string_view path,
                                      const nlohmann::json& body,
                                      transport::RequestKind kind,
                                      std::string_view what);

 private:
  std::string base_url_;
  transport::HttpTransport transport_;
};

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_
