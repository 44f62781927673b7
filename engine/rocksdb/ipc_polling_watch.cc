#include "ipc_polling_watch.h"

#include <utility>

#include "cask/key.h"

namespace cask::engine::ipc {
namespace {

constexpr std::size_t kWatchBatch = 1000;

}  // namespace

PollingWatch::PollingWatch(ChangesFn changes, std::string base,
                           std::uint64_t after, WatchCallback callback)
    : changes_(std::move(changes)),
      base_(std::move(base)),
      cursor_(after),
      callback_(std::move(callback)) {
  thread_ = std::thread([this] { Run(); });
}

PollingWatch::~PollingWatch() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void PollingWatch::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    absl::StatusOr<std::vector<ChangeEvent>> events =
        changes_(cursor_, kWatchBatch);
    if (events.ok()) {
      for (const ChangeEvent& ev : *events) {
        cursor_ = ev.revision;
        // The engine's own rule (change_log.cc, WatchWants).
        bool match = ev.kind != ChangeKind::kClear
                         ? IsUnderBase(ev.key, base_)
                         : ev.key == base_ || IsUnderBase(ev.key, base_) ||
                               IsUnderBase(base_, ev.key);
        if (match) callback_(ev);
      }
      if (events->size() == kWatchBatch) continue;
    } else if (events.status().code() == absl::StatusCode::kOutOfRange) {
      return;  // fell behind the retention: delivery stops
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), kWatchPoll);
  }
}

}  // namespace cask::engine::ipc
