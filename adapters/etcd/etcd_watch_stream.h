// One etcd watch stream through the JSON gateway (POST /v3/watch): the
// gateway answers a single create_request with a never-ending body of
// newline-separated JSON messages ({"result": WatchResponse}). libcurl
// directly, because the shared transport reads whole bodies. Internal to
// adapters/etcd.
#ifndef CASK_ADAPTERS_ETCD_ETCD_WATCH_STREAM_H_
#define CASK_ADAPTERS_ETCD_ETCD_WATCH_STREAM_H_

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "etcd_store.h"

namespace cask::etcd_internal {

// Sends `create_request` and hands each message's "result" to
// `on_message` until it returns false (then OK), `stop` becomes true
// (checked at least once a second; then OK), `deadline` passes (checked as
// often; kUnavailable), or the stream fails or ends (kUnavailable; a
// gateway error answer or a malformed message: kInternal). Blocks.
// Thread-safe (each call has its own connection).
absl::Status StreamWatch(
    const EtcdOptions& options, const nlohmann::json& create_request,
    const std::function<bool(const nlohmann::json&)>& on_message,
    const std::atomic<bool>* stop,
    absl::Time deadline = absl::InfiniteFuture());

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_WATCH_STREAM_H_
