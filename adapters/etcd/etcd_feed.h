// The etcd store's change feed (Driver::Changes and Watch) from etcd's
// native watch. Internal to adapters/etcd; etcd_store.h documents the
// behaviour.
#ifndef CASK_ADAPTERS_ETCD_ETCD_FEED_H_
#define CASK_ADAPTERS_ETCD_ETCD_FEED_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/driver.h"
#include "etcd_store.h"

namespace cask::etcd_internal {

class EtcdFeed {
 public:
  explicit EtcdFeed(const EtcdOptions& options) : options_(options) {}

  // Events of the store's keys with revision > after_revision, whole etcd
  // revisions only, stopping after the first revision that reaches
  // `limit` events. kOutOfRange when etcd compacted revisions past
  // after_revision.
  absl::StatusOr<std::vector<ChangeEvent>> Changes(std::uint64_t after_revision,
                                                   std::size_t limit);

  // A thread following a watch of the store's keys under `base` from
  // after_revision + 1, reconnecting after a failure, until the
  // Subscription is destroyed. kOutOfRange when the first revision wanted
  // was already compacted.
  absl::StatusOr<std::unique_ptr<Subscription>> Watch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback);

 private:
  const EtcdOptions options_;
};

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_FEED_H_
