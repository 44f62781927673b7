// One libcurl handle speaking JSON to etcd's v3 gateway, with cask's
// failure semantics (etcd_errors.h). Internal to adapters/etcd; not
// thread-safe (the store serialises access).
#ifndef CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_
#define CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "etcd_store.h"

namespace cask::etcd_internal {

// Whether a request may change data: decides kUnavailable vs kUnknown when
// its reply is lost, and whether the request gets a fresh connection.
enum class Access { kRead, kWrite };

class EtcdClient {
 public:
  explicit EtcdClient(const EtcdOptions& options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs `body` to `path` ("/v3/kv/txn"...) and returns the parsed reply.
  // A write always goes over a new connection: libcurl silently re-sends a
  // request on a reused connection that died without answering, which
  // would apply a write twice.
  absl::StatusOr<nlohmann::json> Post(std::string_view path,
                                      const nlohmann::json& body, Access access,
                                      std::string_view what);

 private:
  std::string base_url_;
  void* curl_;  // CURL*
};

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_CLIENT_H_
