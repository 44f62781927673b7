// DirLock: the owner's lock of a shared store, flock(LOCK_EX) on the store
// directory itself (so nothing is added to a directory that is not a store
// yet). Taken before RocksDB is opened, so a process that will not own the
// store never calls DB::Open (which rotates the info LOG even when the
// LOCK is held elsewhere). A process knows which directories it holds: a
// second Open of one of them in the same process is refused.
//
// Thread safety: TryLock is safe from any thread.
#ifndef CASK_ENGINE_ROCKSDB_IPC_DIR_LOCK_H_
#define CASK_ENGINE_ROCKSDB_IPC_DIR_LOCK_H_

#include <sys/types.h>

#include <memory>
#include <string>

namespace cask::engine::ipc {

class DirLock {
 public:
  enum class Result {
    kLocked,         // *out holds the lock
    kHeldElsewhere,  // another process holds it (or the directory is gone)
    kHeldHere,       // this process holds it already
  };
  static Result TryLock(const std::string& dir, std::unique_ptr<DirLock>* out);
  // Releases the lock (the kernel also does when the process dies).
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  DirLock(int fd, dev_t dev, ino_t ino) : fd_(fd), dev_(dev), ino_(ino) {}
  const int fd_;
  const dev_t dev_;
  const ino_t ino_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_DIR_LOCK_H_
