#include "ipc_pinned_snapshots.h"

#include <errno.h>
#include <signal.h>

#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cask::engine::ipc {
namespace {

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

std::uint64_t RandomId() {
  static std::mt19937_64 gen{std::random_device{}()};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  std::uint64_t id;
  do {
    id = gen();
  } while (id == 0);  // 0 names the live store in kScan
  return id;
}

}  // namespace

absl::StatusOr<PinnedSnapshots::Pin> PinnedSnapshots::Open(pid_t pid) {
  Sweep();
  absl::StatusOr<std::unique_ptr<Snapshot>> snapshot = engine_->OpenSnapshot();
  if (!snapshot.ok()) return snapshot.status();
  Pin pin{RandomId(), (*snapshot)->revision()};
  absl::MutexLock lock(&mu_);
  while (pins_.contains(pin.id)) pin.id = RandomId();
  pins_[pin.id] = Entry{std::shared_ptr<Snapshot>(*std::move(snapshot)), pid};
  count_.store(pins_.size());
  return pin;
}

absl::StatusOr<std::shared_ptr<Snapshot>> PinnedSnapshots::Find(
    std::uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = pins_.find(id);
  if (it == pins_.end()) {
    return absl::OutOfRangeError(
        "cask engine: the owner of the store holds no such snapshot (it was "
        "released, or taken by an owner that has since exited): open a new "
        "snapshot");
  }
  return it->second.snapshot;
}

void PinnedSnapshots::Release(std::uint64_t id) {
  std::shared_ptr<Snapshot> doomed;  // released outside the lock
  absl::MutexLock lock(&mu_);
  auto it = pins_.find(id);
  if (it == pins_.end()) return;
  doomed = std::move(it->second.snapshot);
  pins_.erase(it);
  count_.store(pins_.size());
}

void PinnedSnapshots::Sweep(bool now) {
  if (count_.load() == 0) return;
  std::vector<std::shared_ptr<Snapshot>> doomed;
  absl::MutexLock lock(&mu_);
  const absl::Time t = absl::Now();
  if (!now && t - last_sweep_ < absl::Seconds(1)) return;
  last_sweep_ = t;
  for (auto it = pins_.begin(); it != pins_.end();) {
    if (ProcessGone(it->second.pid)) {
      doomed.push_back(std::move(it->second.snapshot));
      pins_.erase(it++);
    } else {
      ++it;
    }
  }
  count_.store(pins_.size());
}

std::size_t PinnedSnapshots::size() { return count_.load(); }

}  // namespace cask::engine::ipc
