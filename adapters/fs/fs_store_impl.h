// The fs store's implementation class, shared by fs_store.cc (reads,
// single writes, open) and fs_commit.cc (commits, their journal and its
// recovery). Internal: the contract is fs_store.h.
#ifndef CASK_ADAPTERS_FS_FS_STORE_IMPL_H_
#define CASK_ADAPTERS_FS_FS_STORE_IMPL_H_

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cask/driver.h"
#include "fs_journal.h"
#include "fs_locks.h"
#include "fs_path.h"
#include "fs_record.h"
#include "fs_store.h"

namespace cask::fs_internal {

// Directories under the store's root.
inline constexpr char kMetaDir[] = ".cask";
inline constexpr char kDataDir[] = "data";
inline constexpr char kTmpDir[] = ".cask/tmp";
inline constexpr char kJournalDir[] = ".cask/journal";

// A path relative to data/, for messages.
inline std::string DataPath(std::string_view rel) {
  return std::string(kDataDir) + "/" + std::string(rel);
}

// 64 random bits in hex, for names no other process picks.
std::string RandomHex64();

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// write() / pwrite() / pread() of exactly the bytes given; errors name
// `what`. PreadAll reports a short file as kDataLoss.
absl::Status WriteAll(int fd, std::string_view data, std::string_view what);
absl::Status PwriteAll(int fd, std::string_view data, off_t offset,
                       std::string_view what);
absl::Status PreadAll(int fd, char* out, std::size_t size, off_t offset,
                      std::string_view what);

// False once a record's ttl has run out: it then reads as absent.
inline bool IsLive(const RecordHeader& h, absl::Time now) {
  return h.expires_ns == 0 || h.expires_ns > absl::ToUnixNanos(now);
}

// A write that passed its commit point but could not finish (or could not
// make itself durable): the caller must not think nothing was applied.
absl::Status PastCommitPoint(std::string_view what, const absl::Status& cause);

// A value file being written in .cask/tmp; unlinked unless published.
struct TempFile {
  std::string name;
  Fd fd;
  std::uint64_t value_size = 0;
  std::int64_t expires_ns = 0;
};

// What a key's file holds right now (read under its stripe lock).
struct KeyState {
  bool file_exists = false;
  std::optional<RecordHeader> live;  // nullopt: absent or expired
};

class FsStore final : public Driver {
 public:
  FsStore(FsOptions options, Fd root, Fd data, Fd tmp, Fd journal,
          std::string store_id, std::unique_ptr<StripeLocks> locks,
          std::unique_ptr<SharedCounter> counter);
  ~FsStore() override = default;

  std::string_view name() const override { return "fs"; }
  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = caps.atomic_batch = caps.ttl = true;
    return caps;
  }

  // Completes the journal of every commit whose process died after its
  // commit point (open calls it), then removes stale temp files.
  absl::Status RecoverCommits();
  void RemoveStaleTemps();

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override;
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override;
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override;
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override;
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override;
  absl::Status DoClear(const std::string& base) override;
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override;

 private:
  struct Leaf {
    std::string key;
    std::string path;  // relative to data/
  };
  struct DirEntry {
    std::string name;
    bool is_dir = false;
  };

  std::string Etag(std::uint64_t revision) const {
    return absl::StrFormat("%x.%s", revision, store_id_);
  }
  Meta MetaOf(const RecordHeader& h) const;
  std::optional<std::string> EtagOrNull(const KeyState& s) const {
    if (!s.live) return std::nullopt;
    return Etag(s.live->revision);
  }

  // Takes `stripes`, first completing any dead committer's journal found
  // on them (so no operation ever sees half a commit).
  absl::StatusOr<std::unique_ptr<StripeGuard>> LockStripes(
      std::vector<std::size_t> stripes, bool exclusive);
  // Replays `journal` (its stripes held exclusively); idempotent.
  absl::Status Replay(const Journal& journal);
  absl::StatusOr<std::vector<std::string>> ListJournals() const;

  // Opens the key's file; an absent file gives an invalid Fd and OK.
  absl::StatusOr<Fd> OpenValue(const std::string& rel) const;
  absl::StatusOr<RecordHeader> ReadHeader(int fd, const std::string& rel) const;
  absl::StatusOr<KeyState> ReadState(const std::string& rel) const;

  absl::StatusOr<TempFile> WriteTemp(std::string_view value,
                                     absl::Duration ttl);
  void DiscardTemp(TempFile& t);
  absl::Status MakeParents(const std::string& parent);
  // Writes the real header (revision, mtime) into `t` and, in sync mode,
  // flushes it; closes it.
  absl::Status Stamp(TempFile& t, std::uint64_t revision);
  // Puts the stamped temp file `temp` at `path`: rename, or link() for a
  // create-only write (fails if a file appeared there).
  absl::Status Place(const std::string& temp, const KeyPath& path, bool create);
  // In sync mode, fsyncs data/`parent` and every directory above it.
  absl::Status SyncDirs(const std::string& parent);
  absl::Status Unlink(const std::string& rel);
  void RemoveEmptyParents(std::string parent);

  // The directories and regular files in data/`rel`, unordered; none when
  // it is absent or unreadable (removed meanwhile).
  std::vector<DirEntry> ListDir(const std::string& rel) const;
  // Completes the commits of dead committers still marked on any stripe,
  // so a reader that takes no stripe never sees half a commit.
  absl::Status FinishDeadCommits();
  // Appends to `out`, in key order, the value files of the keys > `after`
  // under the directory `rel` (reached like Walk's), until `out` holds
  // `limit` leaves; reads only the directories that can hold such keys.
  void WalkInOrder(const std::string& rel, const std::string& prefix,
                   const std::string& pending, const std::string& after,
                   std::size_t limit, std::vector<Leaf>& out) const;
  // Every value file under the directory `rel` (relative to data/), whose
  // keys start with `prefix`; directories below it go to `dirs`
  // (deepest last).
  void Walk(const std::string& rel, const std::string& prefix,
            const std::string& pending, std::vector<Leaf>& leaves,
            std::vector<std::string>* dirs) const;

  const FsOptions options_;
  const Fd root_, data_, tmp_, journal_;
  const std::string store_id_;
  const std::string temp_prefix_;
  std::atomic<std::uint64_t> temp_seq_{0};
  const std::unique_ptr<StripeLocks> locks_;
  const std::unique_ptr<SharedCounter> counter_;
};

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_STORE_IMPL_H_
