#include "power_loss_fs.h"

#include <unistd.h>

#include <utility>

namespace cask::engine_test {

// Forwards to the real file and reports what was appended and synced.
class PowerLossFs::File : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(std::unique_ptr<rocksdb::FSWritableFile> f, PowerLossFs* fs,
       std::string name)
      : FSWritableFileOwnerWrapper(std::move(f)),
        fs_(fs),
        name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (fs_->dead()) return Off();
    rocksdb::IOStatus s = target()->Append(data, o, dbg);
    if (s.ok()) fs_->Appended(name_, data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& /*v*/,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, o, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     std::uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    if (fs_->dead()) return Off();
    rocksdb::IOStatus s = target()->PositionedAppend(data, offset, o, dbg);
    if (s.ok())
      fs_->Truncated(name_, offset), fs_->Appended(name_, data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     std::uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& /*v*/,
                                     rocksdb::IODebugContext* dbg) override {
    return PositionedAppend(data, offset, o, dbg);
  }
  rocksdb::IOStatus Truncate(std::uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    if (fs_->dead()) return Off();
    rocksdb::IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok()) fs_->Truncated(name_, size);
    return s;
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    if (fs_->dead()) return Off();
    return target()->Flush(o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& /*o*/,
                         rocksdb::IODebugContext* /*dbg*/) override {
    if (fs_->DeadAtStep()) return Off();
    fs_->Synced(name_);
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return Sync(o, dbg);
  }
  rocksdb::IOStatus RangeSync(std::uint64_t /*offset*/,
                              std::uint64_t /*nbytes*/,
                              const rocksdb::IOOptions& /*o*/,
                              rocksdb::IODebugContext* /*dbg*/) override {
    // Durability of a range is not modelled: nothing becomes durable.
    return fs_->dead() ? Off() : rocksdb::IOStatus::OK();
  }

 private:
  PowerLossFs* const fs_;
  const std::string name_;
};

// Directory syncs are not modelled (see the header): no real fsync.
class PowerLossFs::Directory : public rocksdb::FSDirectory {
 public:
  explicit Directory(PowerLossFs* fs) : fs_(fs) {}
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& /*o*/,
                          rocksdb::IODebugContext* /*dbg*/) override {
    return fs_->DeadAtStep() ? Off() : rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& /*o*/,
                          rocksdb::IODebugContext* /*dbg*/) override {
    return rocksdb::IOStatus::OK();
  }

 private:
  PowerLossFs* const fs_;
};

rocksdb::IOStatus PowerLossFs::NewDirectory(
    const std::string& name, const rocksdb::IOOptions& o,
    std::unique_ptr<rocksdb::FSDirectory>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> real;
  rocksdb::IOStatus s = target()->NewDirectory(name, o, &real, dbg);
  if (s.ok()) *r = std::make_unique<Directory>(this);
  return s;
}

PowerLossFs::PowerLossFs()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::uint64_t PowerLossFs::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t dropped = 0;
  for (auto& [name, state] : files_) {
    if (state.size <= state.synced) continue;
    if (truncate(name.c_str(), static_cast<off_t>(state.synced)) == 0) {
      dropped += state.size - state.synced;
      state.size = state.synced;
    }
  }
  return dropped;
}

void PowerLossFs::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  files_.clear();
  dead_.store(false);
  steps_.store(0);
  crash_at_.store(0);
}

bool PowerLossFs::DeadAtStep() {
  const std::uint64_t step = steps_.fetch_add(1) + 1;
  const std::uint64_t at = crash_at_.load();
  if (at != 0 && step >= at) dead_.store(true);
  return dead();
}

rocksdb::IOStatus PowerLossFs::Wrap(const std::string& f, rocksdb::IOStatus s,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    bool existing) {
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    FileState& state = files_[f];
    if (existing) {
      // What was there before is as durable as it was; assume synced. The
      // size is the file's, not the reopened writer's (which may count
      // from 0: RocksDB reopens the last WAL only to cut its preallocated
      // tail off).
      std::uint64_t size = 0;
      if (!target()
               ->GetFileSize(f, rocksdb::IOOptions(), &size, nullptr)
               .ok()) {
        size = (*r)->GetFileSize(rocksdb::IOOptions(), nullptr);
      }
      state.size = state.synced = size;
    } else {
      state = FileState{};
    }
  }
  *r = std::make_unique<File>(std::move(*r), this, f);
  return s;
}

rocksdb::IOStatus PowerLossFs::NewWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* dbg) {
  if (DeadAtStep()) return Off();
  return Wrap(f, target()->NewWritableFile(f, o, r, dbg), r, false);
}

rocksdb::IOStatus PowerLossFs::ReopenWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* dbg) {
  if (dead()) return Off();
  bool tracked;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tracked = files_.contains(f);
  }
  if (tracked) {
    // Keep its synced size: reopening makes nothing durable.
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, r, dbg);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), this, f);
    return s;
  }
  return Wrap(f, target()->ReopenWritableFile(f, o, r, dbg), r, true);
}

rocksdb::IOStatus PowerLossFs::ReuseWritableFile(
    const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* dbg) {
  if (DeadAtStep()) return Off();
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(old);
  }
  return Wrap(f, target()->ReuseWritableFile(f, old, o, r, dbg), r, false);
}

rocksdb::IOStatus PowerLossFs::RenameFile(const std::string& src,
                                          const std::string& dst,
                                          const rocksdb::IOOptions& o,
                                          rocksdb::IODebugContext* dbg) {
  if (DeadAtStep()) return Off();
  rocksdb::IOStatus s = target()->RenameFile(src, dst, o, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(src);
  if (it == files_.end()) {
    files_.erase(dst);
  } else {
    files_[dst] = it->second;
    files_.erase(src);
  }
  return s;
}

rocksdb::IOStatus PowerLossFs::DeleteFile(const std::string& f,
                                          const rocksdb::IOOptions& o,
                                          rocksdb::IODebugContext* dbg) {
  if (DeadAtStep()) return Off();
  rocksdb::IOStatus s = target()->DeleteFile(f, o, dbg);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(f);
  }
  return s;
}

rocksdb::IOStatus PowerLossFs::LinkFile(const std::string& src,
                                        const std::string& dst,
                                        const rocksdb::IOOptions& o,
                                        rocksdb::IODebugContext* dbg) {
  if (DeadAtStep()) return Off();
  rocksdb::IOStatus s = target()->LinkFile(src, dst, o, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(src);
  if (it != files_.end()) files_[dst] = it->second;
  return s;
}

void PowerLossFs::Appended(const std::string& f, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[f].size += n;
}

void PowerLossFs::Synced(const std::string& f) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[f];
  state.synced = state.size;
}

void PowerLossFs::Truncated(const std::string& f, std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[f];
  state.size = size;
  if (state.synced > size) state.synced = size;
}

}  // namespace cask::engine_test
