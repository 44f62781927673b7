#include "ipc_owner.h"

#include <atomic>
#include <utility>

#include "ipc.h"
#include "store_dir.h"

namespace cask::engine::ipc {
namespace {

std::atomic<bool> g_takeover_allowed{true};

}  // namespace

void SetTakeoverAllowed(bool allowed) { g_takeover_allowed.store(allowed); }
bool TakeoverAllowed() { return g_takeover_allowed.load(); }

bool LockHeldByOtherProcess(const absl::Status& s) {
  return IsStoreLockedElsewhere(s);  // store_dir.h: from the lock table
}

absl::StatusOr<std::unique_ptr<Owner>> Owner::Start(
    const std::string& path, const EngineOptions& options,
    std::unique_ptr<DirLock> dir_lock) {
  absl::StatusOr<std::unique_ptr<EngineImpl>> engine =
      OpenEngineImpl(path, options, nullptr);
  if (!engine.ok()) return engine.status();
  auto owner = std::make_unique<Owner>();
  owner->dir_lock = std::move(dir_lock);
  owner->engine = *std::move(engine);
  owner->service = std::make_unique<Service>(owner->engine.get());
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(path, owner->service.get());
  if (!server.ok()) return server.status();
  owner->server = *std::move(server);
  return owner;
}

Owner::~Owner() {
  server.reset();  // stop serving before the engine closes
  service.reset();
  engine.reset();
  dir_lock.reset();  // last: a successor finds RocksDB's LOCK free
}

}  // namespace cask::engine::ipc
