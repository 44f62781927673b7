// PollingWatch: a client process's Watch. Polls Changes every kWatchPoll
// from the last delivered revision, through the client's retrying call
// path, so across a failover it resumes exactly where it was (no gap, no
// duplicate). Falling behind the log's retention stops delivery, as the
// engine's own watch does.
//
// Thread safety: the callback runs on the watch's own thread; destroying
// the watch waits for a callback in progress.
#ifndef CASK_ENGINE_ROCKSDB_IPC_POLLING_WATCH_H_
#define CASK_ENGINE_ROCKSDB_IPC_POLLING_WATCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask::engine::ipc {

inline constexpr absl::Duration kWatchPoll = absl::Milliseconds(5);

class PollingWatch final : public Subscription {
 public:
  // Up to `limit` events after a revision (Driver::Changes).
  using ChangesFn = std::function<absl::StatusOr<std::vector<ChangeEvent>>(
      std::uint64_t after, std::size_t limit)>;

  PollingWatch(ChangesFn changes, std::string base, std::uint64_t after,
               WatchCallback callback);
  ~PollingWatch() override;

 private:
  void Run();

  const ChangesFn changes_;
  const std::string base_;
  std::uint64_t cursor_;  // used by the watch's thread only
  WatchCallback callback_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_POLLING_WATCH_H_
