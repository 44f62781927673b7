// A Driver that forwards every call to another and counts the calls, so
// Sync can report how many requests a round sent to the remote.
#ifndef CASK_SYNC_COUNTING_DRIVER_H_
#define CASK_SYNC_COUNTING_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "cask/driver.h"

namespace cask::sync_internal {

class CountingDriver final : public Driver {
 public:
  explicit CountingDriver(std::shared_ptr<Driver> inner)
      : inner_(std::move(inner)) {}

  std::uint64_t calls() const { return calls_.load(); }
  std::string_view name() const override { return inner_->name(); }
  Capabilities capabilities() const override { return inner_->capabilities(); }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    ++calls_;
    return inner_->Get(key);
  }
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    ++calls_;
    return inner_->GetMeta(key);
  }
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    ++calls_;
    return inner_->Set(key, value, options);
  }
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    ++calls_;
    return inner_->Remove(key, precondition);
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    ++calls_;
    return inner_->Keys(base);
  }
  absl::Status DoClear(const std::string& base) override {
    ++calls_;
    return inner_->Clear(base);
  }
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    ++calls_;
    return inner_->Commit(batch);
  }
  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override {
    ++calls_;
    return inner_->Changes(after_revision, limit);
  }
  // kUnimplemented is answered before anything is sent: not a request.
  absl::StatusOr<std::uint64_t> DoCurrentRevision() override {
    absl::StatusOr<std::uint64_t> r = inner_->CurrentRevision();
    if (r.status().code() != absl::StatusCode::kUnimplemented) ++calls_;
    return r;
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    absl::StatusOr<ScanPage> r = inner_->Scan(base, options);
    if (r.status().code() != absl::StatusCode::kUnimplemented) ++calls_;
    return r;
  }

 private:
  const std::shared_ptr<Driver> inner_;
  std::atomic<std::uint64_t> calls_{0};
};

}  // namespace cask::sync_internal

#endif  // CASK_SYNC_COUNTING_DRIVER_H_
