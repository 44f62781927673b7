// A fault-injecting RocksDB FileSystem for the engine's fault tests: while
// the test's switch is on, the operations a FaultPlan names fail with the
// plan's status, on the files it names. One wrapper serves the disk-full
// test (everything fails with NoSpace) and the WAL sync failure test (only
// syncs of WAL files fail), in the spirit of RocksDB's FaultInjectionTestFS.
#ifndef CASK_TESTS_ENGINE_FAULT_FS_H_
#define CASK_TESTS_ENGINE_FAULT_FS_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "rocksdb/file_system.h"

namespace cask::engine_test {

struct FaultPlan {
  // Files the plan applies to, by name suffix ("" = every file).
  std::string file_suffix;
  // While on: creating or reopening a writable file fails.
  bool fail_open = false;
  // While on: appends to a file of the plan fail.
  bool fail_append = false;
  // While on: Sync and Fsync of a file of the plan fail.
  bool fail_sync = false;
  // What a failed operation returns.
  rocksdb::IOStatus (*error)() = nullptr;

  // A full disk: every new file, append and sync fails with NoSpace.
  static FaultPlan DiskFull() {
    return {"", true, true, true, [] {
              return rocksdb::IOStatus::NoSpace(
                  "injected: no space left on device");
            }};
  }
  // Appends reach the WAL, but its syncs fail, as when the disk reports
  // an error on flush.
  static FaultPlan WalSyncError() {
    return {".log", false, false, true,
            [] { return rocksdb::IOStatus::IOError("injected: sync"); }};
  }
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  // `on` switches the faults; the test owns it and outlives the FS.
  FaultFs(FaultPlan plan, std::atomic<bool>* on)
      : FileSystemWrapper(rocksdb::FileSystem::Default()),
        plan_(std::move(plan)),
        on_(on) {}
  const char* Name() const override { return "FaultFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f,
                                    const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (plan_.fail_open && on_->load()) return plan_.error();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, &file, dbg);
    if (s.ok()) *r = Wrap(f, std::move(file));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& f, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* r,
      rocksdb::IODebugContext* dbg) override {
    // Only a plan that fails opens watches reopened files.
    if (!plan_.fail_open) return target()->ReopenWritableFile(f, o, r, dbg);
    if (on_->load()) return plan_.error();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, &file, dbg);
    if (s.ok()) *r = Wrap(f, std::move(file));
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, const FaultPlan* plan,
         std::atomic<bool>* on)
        : FSWritableFileOwnerWrapper(std::move(f)), plan_(plan), on_(on) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (plan_->fail_append && on_->load()) return plan_->error();
      return target()->Append(data, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (plan_->fail_append && on_->load()) return plan_->error();
      return target()->Append(data, o, v, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
      if (plan_->fail_sync && on_->load()) return plan_->error();
      return target()->Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                            rocksdb::IODebugContext* dbg) override {
      if (plan_->fail_sync && on_->load()) return plan_->error();
      return target()->Fsync(o, dbg);
    }

   private:
    const FaultPlan* plan_;
    std::atomic<bool>* on_;
  };

  std::unique_ptr<rocksdb::FSWritableFile> Wrap(
      const std::string& name, std::unique_ptr<rocksdb::FSWritableFile> file) {
    if (!absl::EndsWith(name, plan_.file_suffix)) return file;
    return std::make_unique<File>(std::move(file), &plan_, on_);
  }

  const FaultPlan plan_;
  std::atomic<bool>* on_;
};

}  // namespace cask::engine_test

#endif  // CASK_TESTS_ENGINE_FAULT_FS_H_
