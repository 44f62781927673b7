// ipc::Open (ipc.h): Engine::Open of a store that processes share.
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine_impl.h"
#include "ipc.h"
#include "ipc_dir_lock.h"
#include "ipc_owner.h"
#include "ipc_shared_engine.h"
#include "store_dir.h"
#include "testing.h"

namespace cask::engine::ipc {

absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& path,
                                             const EngineOptions& options) {
  if (options.ipc_call_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "cask engine: ipc_call_timeout must not be negative");
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!path.empty() && !fs::exists(st) && options.create_if_missing &&
      !options.read_only) {
    fs::create_directories(path, ec);
    st = fs::status(path, ec);
  }
  if (path.empty() || !fs::is_directory(st)) {
    // Let the engine report it (missing, not a directory...).
    return OpenEngineWithEnv(path, options, nullptr);
  }
  if (options.read_only && !CheckDirectoryWritable(path).ok()) {
    // No socket can be made here, so nobody serves the store from here:
    // read it directly (the engine opens RocksDB read-only).
    return OpenEngineWithEnv(path, options, nullptr);
  }
  std::unique_ptr<DirLock> dir_lock;
  // With takeover off (a test hook) this process never owns the store.
  DirLock::Result lock_result = TakeoverAllowed()
                                    ? DirLock::TryLock(path, &dir_lock)
                                    : DirLock::Result::kHeldElsewhere;
  switch (lock_result) {
    case DirLock::Result::kHeldHere:
      return absl::UnavailableError(absl::StrCat(
          "cask engine: store \"", path,
          "\" is already open in this process (one Engine per store and "
          "process; share it between threads)"));
    case DirLock::Result::kLocked: {
      // Nobody owns the store, and nobody can while this process holds the
      // lock: a one-shot read needs no owner (EngineOptions::one_shot).
      // RocksDB's LOCK held elsewhere (an owner still closing) takes the
      // usual path below.
      if (options.read_only && options.one_shot &&
          !LockHolder(path).has_value()) {
        absl::StatusOr<std::unique_ptr<EngineImpl>> reader =
            OpenOneShotReader(path, options, std::move(dir_lock));
        if (!reader.ok()) return reader.status();
        return std::unique_ptr<Engine>(*std::move(reader));
      }
      absl::StatusOr<std::unique_ptr<Owner>> owner =
          Owner::Start(path, options, std::move(dir_lock));
      if (owner.ok()) {
        auto shared = std::make_unique<SharedEngine>(path, options);
        shared->InitOwner(*std::move(owner));
        return std::unique_ptr<Engine>(std::move(shared));
      }
      // Open in another process without the directory lock (an older
      // owner still closing): become its client.
      if (!LockHeldByOtherProcess(owner.status())) return owner.status();
      break;
    }
    case DirLock::Result::kHeldElsewhere:
      break;
  }
  auto shared = std::make_unique<SharedEngine>(path, options);
  if (absl::Status s = shared->InitClient(); !s.ok()) return s;
  return std::unique_ptr<Engine>(std::move(shared));
}

}  // namespace cask::engine::ipc
