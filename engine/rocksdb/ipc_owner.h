// Owner: what a process that owns a shared store holds: the directory
// lock, the engine, the Service that runs other processes' requests on it
// and the Server that takes them from the socket. Built by Open and by a
// client taking over from a dead owner.
//
// Thread safety: build and destroy from one thread; the parts are
// thread-safe.
#ifndef CASK_ENGINE_ROCKSDB_IPC_OWNER_H_
#define CASK_ENGINE_ROCKSDB_IPC_OWNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cask/engine.h"
#include "engine_impl.h"
#include "ipc_dir_lock.h"
#include "ipc_server.h"
#include "ipc_service.h"

namespace cask::engine::ipc {

// Whether this process may own stores (ipc.h, SetTakeoverAllowed).
bool TakeoverAllowed();

// True when `s` says RocksDB's LOCK of the store is held by another
// process (an owner still closing).
bool LockHeldByOtherProcess(const absl::Status& s);

struct Owner {
  std::unique_ptr<DirLock> dir_lock;
  std::unique_ptr<EngineImpl> engine;
  std::unique_ptr<Service> service;
  std::unique_ptr<Server> server;

  // Opens the engine at `path` (under `dir_lock`) and serves it. The
  // engine's errors as they are (see LockHeldByOtherProcess).
  static absl::StatusOr<std::unique_ptr<Owner>> Start(
      const std::string& path, const EngineOptions& options,
      std::unique_ptr<DirLock> dir_lock);
  // Stops serving, closes the engine, then releases the lock.
  ~Owner();
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_OWNER_H_
