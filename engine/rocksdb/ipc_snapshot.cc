// SharedEngine's snapshots and reads at a past revision. The owner
// answers from its engine.
#include "absl/strings/str_cat.h"
#include "ipc_shared_engine.h"

namespace cask::engine::ipc {

absl::StatusOr<std::unique_ptr<Snapshot>> SharedEngine::DoOpenSnapshot() {
  if (local_ != nullptr) return local_->OpenSnapshot();
  return absl::UnimplementedError(
      "cask engine: snapshots from a process that is not the owner come next");
}

absl::StatusOr<Item> SharedEngine::DoGetAt(const std::string& key,
                                           std::uint64_t revision) {
  if (local_ != nullptr) return local_->GetAt(key, revision);
  return absl::UnimplementedError(
      "cask engine: GetAt from a process that is not the owner comes next");
}

}  // namespace cask::engine::ipc
