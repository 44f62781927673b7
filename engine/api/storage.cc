#include "cask/storage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cask/key.h"
#include "cask/scan.h"
#include "cask/status.h"

namespace cask {
namespace {

// The part of `key` below mount `base`; REQUIRES: IsUnderBase or base == "".
std::string Relative(const std::string& key, const std::string& base) {
  return base.empty() ? key : key.substr(base.size() + 1);
}

bool IsMasked(const std::string& full_key, const std::string& owner_base,
              const std::vector<std::string>& bases) {
  // A key held by a parent driver under a deeper mount's base is hidden by
  // that mount (unstorage masks them the same way).
  return std::any_of(bases.begin(), bases.end(), [&](const std::string& b) {
    return b.size() > owner_base.size() && IsUnderBase(full_key, b);
  });
}

}  // namespace

std::unique_ptr<Storage> Storage::Create(std::shared_ptr<Driver> root) {
  return std::unique_ptr<Storage>(new Storage(std::move(root)));
}

Storage::Storage(std::shared_ptr<Driver> root) {
  mounts_.push_back(MountPoint{"", std::move(root)});
}

absl::Status Storage::Mount(std::string_view base,
                            std::shared_ptr<Driver> driver) {
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  if (driver == nullptr) return absl::InvalidArgumentError("null driver");
  absl::MutexLock lock(&mu_);
  for (MountPoint& m : mounts_) {
    if (m.base == *b) {
      m.driver = std::move(driver);
      return absl::OkStatus();
    }
  }
  mounts_.push_back(MountPoint{*std::move(b), std::move(driver)});
  std::stable_sort(mounts_.begin(), mounts_.end(),
                   [](const MountPoint& x, const MountPoint& y) {
                     return x.base.size() > y.base.size();
                   });
  return absl::OkStatus();
}

absl::Status Storage::Unmount(std::string_view base) {
  absl::StatusOr<std::string> b = NormalizeBase(base);
  if (!b.ok()) return b.status();
  if (b->empty()) return absl::InvalidArgumentError("cannot unmount the root");
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(mounts_.begin(), mounts_.end(),
                         [&](const MountPoint& m) { return m.base == *b; });
  if (it == mounts_.end()) {
    return absl::NotFoundError(absl::StrCat("nothing mounted at \"", *b, "\""));
  }
  mounts_.erase(it);
  return absl::OkStatus();
}

std::vector<std::string> Storage::MountedBases() const {
  std::vector<std::string> bases;
  for (const MountPoint& m : Snapshot()) bases.push_back(m.base);
  return bases;
}

std::vector<Storage::MountPoint> Storage::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return mounts_;
}

Storage::Route Storage::Resolve(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  for (const MountPoint& m : mounts_) {
    if (IsUnderBase(key, m.base)) return Route{m.driver, Relative(key, m.base)};
  }
  return Route{mounts_.back().driver, key};  // unreachable: root matches all
}

Capabilities Storage::capabilities() const {
  Capabilities caps;
  caps.cas = caps.atomic_batch = caps.ttl = false;
  for (const MountPoint& m : Snapshot()) {
    Capabilities c = m.driver->capabilities();
    caps.cas |= c.cas;
    caps.atomic_batch |= c.atomic_batch;
    caps.ttl |= c.ttl;
  }
  return caps;
}

Capabilities Storage::CapabilitiesFor(const std::string& key) const {
  return Resolve(key).driver->capabilities();
}

absl::StatusOr<Item> Storage::DoGet(const std::string& key) {
  Route r = Resolve(key);
  return r.driver->Get(r.relative_key);
}

absl::Status Storage::DoGetInto(const std::string& key, Item* item) {
  Route r = Resolve(key);
  return r.driver->GetInto(r.relative_key, item);
}

absl::StatusOr<Meta> Storage::DoGetMeta(const std::string& key) {
  Route r = Resolve(key);
  return r.driver->GetMeta(r.relative_key);
}

absl::StatusOr<bool> Storage::DoHas(const std::string& key) {
  Route r = Resolve(key);
  return r.driver->Has(r.relative_key);
}

absl::StatusOr<std::string> Storage::DoSet(const std::string& key,
                                           std::string_view value,
                                           const WriteOptions& options) {
  Route r = Resolve(key);
  return r.driver->Set(r.relative_key, value, options);
}

absl::Status Storage::DoRemove(const std::string& key,
                               const Precondition& precondition) {
  Route r = Resolve(key);
  return r.driver->Remove(r.relative_key, precondition);
}

absl::StatusOr<ScanPage> Storage::DoScan(const std::string& base,
                                         const ScanOptions& options) {
  std::vector<MountPoint> mounts = Snapshot();
  std::vector<std::string> bases;
  for (const MountPoint& m : mounts) bases.push_back(m.base);
  const std::string lower = ScanLowerBound(base, options.start_after);
  std::vector<ScanPage> pages;
  std::vector<std::string> owners;  // pages[i] came from mount owners[i]
  bool owner_seen = false;
  for (const MountPoint& m : mounts) {
    std::string relative_base;
    if (IsUnderBase(m.base, base)) {
      relative_base = "";  // the whole mount lies under the requested base
    } else if (!owner_seen && (m.base.empty() || m.base == base ||
                               IsUnderBase(base, m.base))) {
      owner_seen = true;  // the mount that owns `base` itself
      relative_base = m.base == base ? "" : Relative(base, m.base);
    } else {
      continue;
    }
    // `lower` seen from inside the mount.
    ScanOptions relative = options;
    if (m.base.empty()) {
      relative.start_after = lower;
    } else if (lower < absl::StrCat(m.base, ":")) {
      relative.start_after.clear();
    } else if (lower >= ScanUpperBound(m.base)) {
      continue;  // the whole mount lies before the start
    } else {
      relative.start_after = Relative(lower, m.base);
    }
    absl::StatusOr<ScanPage> page = m.driver->Scan(relative_base, relative);
    if (!page.ok()) return page.status();
    for (ScanEntry& e : page->entries) e.key = JoinKey(m.base, e.key);
    if (!page->next_after.empty()) {
      page->next_after = JoinKey(m.base, page->next_after);
    }
    pages.push_back(*std::move(page));
    owners.push_back(m.base);
  }
  return MergeScanPages(std::move(pages), options.limit,
                        [&](const ScanEntry& e, std::size_t source) {
                          return IsUnderBase(e.key, base) &&
                                 !IsMasked(e.key, owners[source], bases);
                        });
}

absl::Status Storage::DoClear(const std::string& base) {
  std::vector<MountPoint> mounts = Snapshot();
  bool owner_seen = false;
  for (const MountPoint& m : mounts) {
    absl::Status s;
    if (IsUnderBase(m.base, base)) {
      s = m.driver->Clear("");
    } else if (!owner_seen && (m.base.empty() || m.base == base ||
                               IsUnderBase(base, m.base))) {
      owner_seen = true;
      s = m.driver->Clear(m.base == base ? "" : Relative(base, m.base));
    } else {
      continue;
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<CommitResult> Storage::DoCommit(const Batch& batch) {
  std::shared_ptr<Driver> owner;
  Batch forwarded;
  for (const BatchOp& op : batch.ops()) {
    Route r = Resolve(op.key);
    if (owner != nullptr && owner != r.driver) {
      return CasUnsupportedError(
          "a batch spanning several mounted drivers cannot commit atomically");
    }
    owner = r.driver;
    BatchOp copy = op;
    copy.key = std::move(r.relative_key);
    forwarded.mutable_ops().push_back(std::move(copy));
  }
  return owner->Commit(forwarded);
}

}  // namespace cask
