// The test hooks of ipc.h that look at a SharedEngine or at the socket.
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_shared_engine.h"
#include "ipc_socket.h"

namespace cask::engine::ipc {

absl::StatusOr<pid_t> OwnerPid(const std::string& path) {
  absl::StatusOr<int> fd = ConnectSocket(path);
  if (!fd.ok()) return fd.status();
  ucred cred{};
  socklen_t len = sizeof cred;
  int r = getsockopt(*fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  close(*fd);
  if (r != 0) return absl::UnavailableError("cask ipc: SO_PEERCRED failed");
  return cred.pid;
}

bool IsClient(const Engine& engine) {
  const auto* shared = dynamic_cast<const SharedEngine*>(&engine);
  return shared != nullptr && shared->is_client();
}

absl::StatusOr<std::uint64_t> TEST_CountOutcomeRecords(Engine& engine) {
  auto* shared = dynamic_cast<SharedEngine*>(&engine);
  Owner* owner = shared != nullptr ? shared->owner() : nullptr;
  if (owner == nullptr) {
    return absl::FailedPreconditionError(
        "cask ipc: outcome records are counted in the owner");
  }
  return owner->service->outcomes().Count();
}

absl::StatusOr<std::uint64_t> TEST_CountPinnedSnapshots(Engine& engine) {
  auto* shared = dynamic_cast<SharedEngine*>(&engine);
  Owner* owner = shared != nullptr ? shared->owner() : nullptr;
  if (owner == nullptr) {
    return absl::FailedPreconditionError(
        "cask ipc: pinned snapshots are counted in the owner");
  }
  return owner->service->snapshots().size();
}

}  // namespace cask::engine::ipc
