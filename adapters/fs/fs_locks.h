// Cross-process coordination for the fs store: striped key locks and the
// store-wide revision counter. Both live in small files under
// <root>/.cask/ and work between any number of processes and threads.
//
// Key locks: a key hashes (FNV-1a, so every build agrees) to one of
// kLockStripes stripes; stripe i is byte i of <root>/.cask/locks, locked
// with Linux open-file-description locks (F_OFD_SETLKW). OFD locks belong
// to an open file, not to a process, so two stores in one process exclude
// each other too; threads of one store share the file, so an in-process
// mutex per stripe (shared for readers, with a reader count so the file
// lock is taken by the first reader and dropped by the last) sits in front
// of it. Several stripes are always taken in ascending order.
//
// Revision counter: a 64-bit integer at offset 0 of <root>/.cask/counter,
// mapped MAP_SHARED by every process and incremented with an atomic
// fetch-add, so all processes draw distinct, increasing values without a
// lock. It is never reset (Clear leaves it alone).
//
// Commit marks: the same shared page holds one 32-bit count per stripe,
// raised by a commit (which holds the stripe exclusively) before it
// publishes its journal and lowered once the journal is gone. So whoever
// holds a stripe, shared or exclusive, and finds its mark raised knows
// that a committer died (or gave up) with its journal pending, and must
// complete that journal before reading or writing the stripe's keys.
//
// Thread safety: both classes are thread-safe. Do not use one across
// fork(); open the store again in the child.
#ifndef CASK_ADAPTERS_FS_FS_LOCKS_H_
#define CASK_ADAPTERS_FS_FS_LOCKS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace cask::fs_internal {

// Part of the on-disk format: every process must agree on it.
inline constexpr std::size_t kLockStripes = 256;
// One more byte of the lock file, after the stripes: held by whoever
// completes the journals of dead committers (fs_commit.cc), so only one
// does at a time. Taken before any stripe, never while holding one.
inline constexpr std::size_t kRecoveryLock = kLockStripes;

std::size_t StripeOf(std::string_view key);

class StripeLocks {
 public:
  // Opens (creating if needed) the lock file `name` in directory `dir_fd`.
  static absl::StatusOr<std::unique_ptr<StripeLocks>> Open(int dir_fd,
                                                           const char* name);
  ~StripeLocks();
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

  absl::Status LockShared(std::size_t stripe);
  void UnlockShared(std::size_t stripe);
  absl::Status LockExclusive(std::size_t stripe);
  void UnlockExclusive(std::size_t stripe);

 private:
  struct Stripe {
    absl::Mutex mu;        // shared by readers, exclusive for writers
    absl::Mutex count_mu;  // guards readers and the shared file lock
    int readers = 0;
  };
  explicit StripeLocks(int fd);
  absl::Status FileLock(std::size_t stripe, short type);

  const int fd_;
  std::unique_ptr<Stripe[]> stripes_;
};

// Holds a set of stripes (shared or exclusive) for its lifetime.
class StripeGuard {
 public:
  // Takes `stripes` (any order, duplicates allowed) in ascending order. On
  // failure releases what it took; check status().
  StripeGuard(StripeLocks& locks, std::vector<std::size_t> stripes,
              bool exclusive);
  ~StripeGuard();
  StripeGuard(const StripeGuard&) = delete;
  StripeGuard& operator=(const StripeGuard&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  void Release();
  StripeLocks& locks_;
  std::vector<std::size_t> held_;
  const bool exclusive_;
  absl::Status status_;
};

class SharedCounter {
 public:
  // Opens (creating if needed) the counter file `name` in `dir_fd`.
  // `sync`: Next() also flushes the counter page to disk.
  static absl::StatusOr<std::unique_ptr<SharedCounter>> Open(int dir_fd,
                                                             const char* name,
                                                             bool sync);
  ~SharedCounter();
  SharedCounter(const SharedCounter&) = delete;
  SharedCounter& operator=(const SharedCounter&) = delete;

  // The next value, store-wide; the first is 1.
  absl::StatusOr<std::uint64_t> Next();

  // Commit marks (see above). REQUIRES: the caller holds the stripes
  // exclusively, except for Marked, which needs them held in any mode to
  // mean "a committer died".
  void RaiseMarks(const std::vector<std::size_t>& stripes);
  void LowerMarks(const std::vector<std::size_t>& stripes);
  bool Marked(std::size_t stripe) const;
  void ClearMark(std::size_t stripe);

 private:
  SharedCounter(void* map, bool sync) : map_(map), sync_(sync) {}
  std::uint32_t* Mark(std::size_t stripe) const;
  void* const map_;
  const bool sync_;
};

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_LOCKS_H_
