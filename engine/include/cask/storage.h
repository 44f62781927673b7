// Storage: one key space over several drivers (unstorage's mount; docs/
// contract.md, "Mounts, overlay and sync").
//
// A driver mounted at base "a:b" owns every key under "a:b:"; it sees keys
// relative to its base ("a:b:c" reaches it as "c"). A key is routed to the
// mount with the longest base that contains it; the root mount (base "")
// owns the rest. Keys, Scan and Clear span every mount under the requested
// base, and a mounted base hides the keys a parent driver may hold beneath it.
// Preconditions are forwarded to the owning driver; when that driver lacks
// cas the call fails with kUnimplemented before the driver is called.
// Commit is forwarded when every key of the batch belongs to one driver;
// a batch spanning drivers is kUnimplemented (no cross-driver atomicity).
//
// Thread safety: thread-safe; Mount and Unmount may race with operations,
// which see the mount table either before or after the change.
#ifndef CASK_STORAGE_H_
#define CASK_STORAGE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cask/driver.h"

namespace cask {

class Storage final : public Driver {
 public:
  // `root` serves every key no other mount owns. REQUIRES: root != nullptr.
  static std::unique_ptr<Storage> Create(std::shared_ptr<Driver> root);

  // Mounts `driver` at `base` (normalised; "" replaces the root).
  // kInvalidArgument for a bad base or a null driver; replaces an existing
  // mount at the same base.
  absl::Status Mount(std::string_view base, std::shared_ptr<Driver> driver);
  // Unmounts `base`. kNotFound if nothing is mounted there; unmounting the
  // root is kInvalidArgument.
  absl::Status Unmount(std::string_view base);
  // The mounted bases, longest first.
  std::vector<std::string> MountedBases() const;

  std::string_view name() const override { return "storage"; }
  // The union of the mounts' flags: a call is checked against the owning
  // driver's own flags (CapabilitiesFor) before it is forwarded.
  Capabilities capabilities() const override;
  Capabilities CapabilitiesFor(const std::string& key) const override;

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override;
  // The mounted driver's GetInto, so it can reuse item's buffers.
  absl::Status DoGetInto(const std::string& key, Item* item) override;
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override;
  absl::StatusOr<bool> DoHas(const std::string& key) override;
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override;
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override;
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }
  // Scans every mount the base spans, one page each, and merges them in
  // key order (masked keys left out). Each mount's page is as consistent as
  // that driver makes it; the merged page is not one atomic state.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override;
  absl::Status DoClear(const std::string& base) override;
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override;

 private:
  struct MountPoint {
    std::string base;
    std::shared_ptr<Driver> driver;
  };
  struct Route {
    std::shared_ptr<Driver> driver;
    std::string relative_key;
  };

  explicit Storage(std::shared_ptr<Driver> root);
  Route Resolve(const std::string& key) const;
  std::vector<MountPoint> Snapshot() const;

  mutable absl::Mutex mu_;
  // Sorted by base length, longest first; the root (base "") is last.
  std::vector<MountPoint> mounts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cask

#endif  // CASK_STORAGE_H_
