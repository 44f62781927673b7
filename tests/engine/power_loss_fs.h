// A RocksDB FileSystem that simulates a machine crash (power loss), in the
// spirit of LevelDB's fault-injection test and RocksDB's
// FaultInjectionTestFS: it tracks, per file written through it, how many
// bytes were appended and how many of them a Sync made durable. Crash()
// turns the machine off (every later write, sync, create, rename and
// delete fails, so nothing more becomes durable); DropUnsyncedData() then
// truncates each file to its durable size, which is what the disk holds
// after the power comes back. A process crash (kill -9) loses nothing the
// kernel has; this loses everything not synced.
//
// Simplifications: renames, deletes and file creations are durable at
// once (RocksDB syncs the directory after those that matter); neither a
// file's nor a directory's sync calls the real fsync (the crash is
// simulated, so it need not be real, and the test runs fast).
//
// Thread safety: all methods are thread-safe.
#ifndef CASK_TESTS_ENGINE_POWER_LOSS_FS_H_
#define CASK_TESTS_ENGINE_POWER_LOSS_FS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace cask::engine_test {

class PowerLossFs : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFs();
  const char* Name() const override { return "PowerLossFs"; }

  // From now on nothing reaches the disk.
  void Crash() { dead_.store(true); }
  // Crashes just before the `n`-th durability step from now (n >= 1): a
  // file or directory sync, or a file created, renamed, linked or
  // deleted. Steps lets a test count them first, then crash at each.
  void CrashBeforeStep(std::uint64_t n) { crash_at_.store(steps() + n); }
  // Durability steps taken (or refused) since the last Reset.
  std::uint64_t steps() const { return steps_.load(); }
  // Truncates every tracked file to its synced size. Call after the engine
  // is closed. Returns how many bytes were dropped.
  std::uint64_t DropUnsyncedData();
  // Powers the machine on again: forgets the files, accepts writes.
  void Reset();

  rocksdb::IOStatus NewWritableFile(const std::string& f,
                                    const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& f, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* r,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& f, const std::string& old,
      const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* r,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  // A hard link (RocksDB links the table files it ingests): the new name
  // shares the file's durable size.
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name,
                                 const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  class Directory;
  struct FileState {
    std::uint64_t size = 0;
    std::uint64_t synced = 0;
  };

  bool dead() const { return dead_.load(); }
  // Counts a durability step; true when the machine is off (or turns off
  // now, at the step CrashBeforeStep named).
  bool DeadAtStep();
  static rocksdb::IOStatus Off() {
    return rocksdb::IOStatus::IOError("injected: the machine is off");
  }
  rocksdb::IOStatus Wrap(const std::string& f, rocksdb::IOStatus s,
                         std::unique_ptr<rocksdb::FSWritableFile>* r,
                         bool existing);
  void Appended(const std::string& f, std::uint64_t n);
  void Synced(const std::string& f);
  void Truncated(const std::string& f, std::uint64_t size);

  std::atomic<bool> dead_{false};
  std::atomic<std::uint64_t> steps_{0};
  std::atomic<std::uint64_t> crash_at_{0};  // 0: no planned crash
  std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
};

}  // namespace cask::engine_test

#endif  // CASK_TESTS_ENGINE_POWER_LOSS_FS_H_
