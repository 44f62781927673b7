#include "ipc_pinned_snapshots.h"

#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cask::engine::ipc {
namespace {

std::uint64_t RandomId() {
  static absl::Mutex mu;
  static std::mt19937_64 gen ABSL_GUARDED_BY(mu){std::random_device{}()};
  absl::MutexLock lock(&mu);
  std::uint64_t id;
  do {
    id = gen();
  } while (id == 0);  // 0 names the live store in kScan
  return id;
}

absl::Status TooMany() {
  return absl::ResourceExhaustedError(absl::StrCat(
      "cask engine: this process holds ", kMaxPinsPerSession,
      " snapshots of the store open, the most the owner pins for one "
      "process: destroy one first"));
}

}  // namespace

void PinnedSnapshots::EndSession(Session& session) {
  // Released outside the lock: a RocksDB release takes the DB's mutex.
  absl::flat_hash_map<std::uint64_t, std::shared_ptr<Snapshot>> doomed;
  {
    absl::MutexLock lock(&session.mu_);
    session.ended_ = true;
    doomed.swap(session.pins_);
    count_.fetch_sub(doomed.size());
  }
}

absl::StatusOr<PinnedSnapshots::Pin> PinnedSnapshots::Open(Session& session) {
  {
    absl::MutexLock lock(&session.mu_);
    if (session.pins_.size() >= kMaxPinsPerSession) {
      return TooMany();
    }
  }
  absl::StatusOr<std::unique_ptr<Snapshot>> snapshot = engine_->OpenSnapshot();
  if (!snapshot.ok()) return snapshot.status();
  std::shared_ptr<Snapshot> shared(*std::move(snapshot));
  Pin pin{RandomId(), shared->revision()};
  absl::MutexLock lock(&session.mu_);
  if (session.ended_) {
    return absl::UnavailableError(
        "cask engine: the client's connection closed while its snapshot was "
        "being opened");
  }
  // Checked again: other threads of the client may have opened some
  // meanwhile.
  if (session.pins_.size() >= kMaxPinsPerSession) {
    return TooMany();
  }
  while (session.pins_.contains(pin.id)) pin.id = RandomId();
  session.pins_.emplace(pin.id, std::move(shared));
  count_.fetch_add(1);
  return pin;
}

absl::StatusOr<std::shared_ptr<Snapshot>> PinnedSnapshots::Find(
    Session& session, std::uint64_t id) {
  absl::MutexLock lock(&session.mu_);
  auto it = session.pins_.find(id);
  if (it == session.pins_.end()) {
    return absl::OutOfRangeError(
        "cask engine: the owner of the store holds no such snapshot for this "
        "process (it was released, or pinned on a connection or by an owner "
        "that is gone): open a new snapshot");
  }
  return it->second;
}

void PinnedSnapshots::Release(Session& session, std::uint64_t id) {
  std::shared_ptr<Snapshot> doomed;  // released outside the lock
  absl::MutexLock lock(&session.mu_);
  auto it = session.pins_.find(id);
  if (it == session.pins_.end()) return;
  doomed = std::move(it->second);
  session.pins_.erase(it);
  count_.fetch_sub(1);
}

}  // namespace cask::engine::ipc
