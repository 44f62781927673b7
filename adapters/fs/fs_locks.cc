#include "fs_locks.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "fs_errors.h"

namespace cask::fs_internal {
namespace {

constexpr std::size_t kCounterFileBytes = 4096;
// The commit marks follow the counter, one std::uint32_t per stripe.
constexpr std::size_t kMarksOffset = 64;
static_assert(kMarksOffset + 4 * kLockStripes <= kCounterFileBytes);

}  // namespace

std::size_t StripeOf(std::string_view key) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h % kLockStripes);
}

absl::StatusOr<std::unique_ptr<StripeLocks>> StripeLocks::Open(
    int dir_fd, const char* name) {
  int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open lock file", name, errno);
  return std::unique_ptr<StripeLocks>(new StripeLocks(fd));
}

StripeLocks::StripeLocks(int fd)
    : fd_(fd), stripes_(new Stripe[kLockStripes + 1]) {}

StripeLocks::~StripeLocks() { close(fd_); }

absl::Status StripeLocks::FileLock(std::size_t stripe, short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(stripe);
  fl.l_len = 1;
  while (fcntl(fd_, F_OFD_SETLKW, &fl) != 0) {
    if (errno != EINTR) return ErrnoError("lock", ".cask/locks", errno);
  }
  return absl::OkStatus();
}

absl::Status StripeLocks::LockShared(std::size_t stripe) {
  Stripe& s = stripes_[stripe];
  s.mu.ReaderLock();
  absl::MutexLock count(&s.count_mu);
  if (s.readers == 0) {
    if (absl::Status st = FileLock(stripe, F_RDLCK); !st.ok()) {
      s.mu.ReaderUnlock();
      return st;
    }
  }
  ++s.readers;
  return absl::OkStatus();
}

void StripeLocks::UnlockShared(std::size_t stripe) {
  Stripe& s = stripes_[stripe];
  {
    absl::MutexLock count(&s.count_mu);
    // Unlocking cannot block; an error would leave the lock to be dropped
    // when the file closes.
    if (--s.readers == 0) FileLock(stripe, F_UNLCK).IgnoreError();
  }
  s.mu.ReaderUnlock();
}

absl::Status StripeLocks::LockExclusive(std::size_t stripe) {
  Stripe& s = stripes_[stripe];
  s.mu.Lock();
  if (absl::Status st = FileLock(stripe, F_WRLCK); !st.ok()) {
    s.mu.Unlock();
    return st;
  }
  return absl::OkStatus();
}

void StripeLocks::UnlockExclusive(std::size_t stripe) {
  FileLock(stripe, F_UNLCK).IgnoreError();
  stripes_[stripe].mu.Unlock();
}

StripeGuard::StripeGuard(StripeLocks& locks, std::vector<std::size_t> stripes,
                         bool exclusive)
    : locks_(locks), exclusive_(exclusive) {
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (std::size_t s : stripes) {
    status_ = exclusive ? locks_.LockExclusive(s) : locks_.LockShared(s);
    if (!status_.ok()) {
      Release();
      return;
    }
    held_.push_back(s);
  }
}

StripeGuard::~StripeGuard() { Release(); }

void StripeGuard::Release() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) {
    if (exclusive_) {
      locks_.UnlockExclusive(*it);
    } else {
      locks_.UnlockShared(*it);
    }
  }
  held_.clear();
}

absl::StatusOr<std::unique_ptr<SharedCounter>> SharedCounter::Open(
    int dir_fd, const char* name, bool sync) {
  int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open counter file", name, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError("stat counter file", name, err);
  }
  // Growing is idempotent and zero-fills, so racing openers agree.
  if (static_cast<std::size_t>(st.st_size) < kCounterFileBytes &&
      ftruncate(fd, kCounterFileBytes) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError("size counter file", name, err);
  }
  void* map = mmap(nullptr, kCounterFileBytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (map == MAP_FAILED) return ErrnoError("map counter file", name, err);
  return std::unique_ptr<SharedCounter>(new SharedCounter(map, sync));
}

SharedCounter::~SharedCounter() { munmap(map_, kCounterFileBytes); }

absl::StatusOr<std::uint64_t> SharedCounter::Next() {
  auto* value = static_cast<std::uint64_t*>(map_);
  std::uint64_t next = __atomic_add_fetch(value, 1, __ATOMIC_SEQ_CST);
  if (sync_ && msync(map_, kCounterFileBytes, MS_SYNC) != 0) {
    return ErrnoError("sync counter file", ".cask/counter", errno);
  }
  return next;
}

std::uint32_t* SharedCounter::Mark(std::size_t stripe) const {
  return reinterpret_cast<std::uint32_t*>(static_cast<char*>(map_) +
                                          kMarksOffset) +
         stripe;
}

void SharedCounter::RaiseMarks(const std::vector<std::size_t>& stripes) {
  for (std::size_t s : stripes)
    __atomic_add_fetch(Mark(s), 1, __ATOMIC_SEQ_CST);
}

void SharedCounter::LowerMarks(const std::vector<std::size_t>& stripes) {
  for (std::size_t s : stripes)
    __atomic_sub_fetch(Mark(s), 1, __ATOMIC_SEQ_CST);
}

bool SharedCounter::Marked(std::size_t stripe) const {
  return __atomic_load_n(Mark(stripe), __ATOMIC_SEQ_CST) != 0;
}

void SharedCounter::ClearMark(std::size_t stripe) {
  __atomic_store_n(Mark(stripe), 0u, __ATOMIC_SEQ_CST);
}

}  // namespace cask::fs_internal
