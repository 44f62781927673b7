#include "ipc_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <utility>

namespace cask::engine::ipc {
namespace {

std::mutex g_held_mu;
// The directories (device, inode) this process holds.
std::set<std::pair<dev_t, ino_t>> g_held;

}  // namespace

DirLock::Result DirLock::TryLock(const std::string& dir,
                                 std::unique_ptr<DirLock>* out) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Result::kHeldElsewhere;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Result::kHeldElsewhere;
  }
  std::lock_guard<std::mutex> lock(g_held_mu);
  if (g_held.contains({st.st_dev, st.st_ino})) {
    close(fd);
    return Result::kHeldHere;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return Result::kHeldElsewhere;
  }
  g_held.insert({st.st_dev, st.st_ino});
  out->reset(new DirLock(fd, st.st_dev, st.st_ino));
  return Result::kLocked;
}

DirLock::~DirLock() {
  std::lock_guard<std::mutex> lock(g_held_mu);
  g_held.erase({dev_, ino_});
  close(fd_);  // releases the flock
}

}  // namespace cask::engine::ipc
