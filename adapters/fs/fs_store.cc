#include "fs_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "fs_errors.h"
#include "fs_locks.h"
#include "fs_path.h"
#include "fs_record.h"
#include "fs_store_impl.h"
#include "fs_test_hooks.h"
#include "uri.h"

namespace cask {
namespace fs_internal {

absl::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", what, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PwriteAll(int fd, std::string_view data, off_t offset,
                       std::string_view what) {
  while (!data.empty()) {
    ssize_t n = pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", what, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
  return absl::OkStatus();
}

// Fewer bytes than asked means the file shrank, which cask never does to a
// published file.
absl::Status PreadAll(int fd, char* out, std::size_t size, off_t offset,
                      std::string_view what) {
  while (size > 0) {
    ssize_t n = pread(fd, out, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", what, errno);
    }
    if (n == 0) return CorruptFileError(what, "truncated");
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

std::string RandomHex64() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

absl::Status PastCommitPoint(std::string_view what, const absl::Status& cause) {
  return absl::UnknownError(absl::StrCat(
      "fs store: outcome unknown: ", ToAbsl(what),
      " passed its commit point (it is or will be visible) but then failed: ",
      cause.message()));
}

namespace {

// Rename retries when a concurrent remove deletes the empty parent
// directory between our mkdir and our rename.
constexpr int kPublishAttempts = 16;

}  // namespace

FsStore::FsStore(FsOptions options, Fd root, Fd data, Fd tmp, Fd journal,
                 std::string store_id, std::unique_ptr<StripeLocks> locks,
                 std::unique_ptr<SharedCounter> counter)
    : options_(std::move(options)),
      root_(std::move(root)),
      data_(std::move(data)),
      tmp_(std::move(tmp)),
      journal_(std::move(journal)),
      store_id_(std::move(store_id)),
      temp_prefix_(absl::StrCat(".tmp-", getpid(), "-", RandomHex64(), "-")),
      locks_(std::move(locks)),
      counter_(std::move(counter)) {}

Meta FsStore::MetaOf(const RecordHeader& h) const {
  Meta m;
  m.etag = Etag(h.revision);
  m.mtime = absl::FromUnixNanos(h.mtime_ns);
  m.size = h.value_size;
  if (h.expires_ns != 0) m.expires = absl::FromUnixNanos(h.expires_ns);
  m.revision = h.revision;
  return m;
}

absl::StatusOr<Fd> FsStore::OpenValue(const std::string& rel) const {
  int fd = openat(data_.get(), rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) return Fd(fd);
  if (errno == ENOENT || errno == ENOTDIR) return Fd();
  return ErrnoError("open", DataPath(rel), errno);
}

absl::StatusOr<RecordHeader> FsStore::ReadHeader(int fd,
                                                 const std::string& rel) const {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("stat", DataPath(rel), errno);
  if (!S_ISREG(st.st_mode)) {
    return CorruptFileError(DataPath(rel), "not a regular file");
  }
  char buf[kHeaderBytes];
  std::size_t want = std::min<std::size_t>(sizeof buf, st.st_size);
  if (absl::Status s = PreadAll(fd, buf, want, 0, DataPath(rel)); !s.ok()) {
    return s;
  }
  return DecodeHeader(std::string_view(buf, want),
                      static_cast<std::uint64_t>(st.st_size), DataPath(rel));
}

absl::StatusOr<KeyState> FsStore::ReadState(const std::string& rel) const {
  absl::StatusOr<Fd> fd = OpenValue(rel);
  if (!fd.ok()) return fd.status();
  KeyState state;
  if (fd->get() < 0) return state;
  state.file_exists = true;
  absl::StatusOr<RecordHeader> h = ReadHeader(fd->get(), rel);
  if (!h.ok()) return h.status();
  if (IsLive(*h, absl::Now())) state.live = *h;
  return state;
}

absl::StatusOr<Item> FsStore::DoGet(const std::string& key) {
  KeyPath path = PathForKey(key);
  auto guard = LockStripes({StripeOf(key)}, /*exclusive=*/false);
  if (!guard.ok()) return guard.status();
  absl::StatusOr<Fd> fd = OpenValue(path.file);
  if (!fd.ok()) return fd.status();
  if (fd->get() < 0) return KeyNotFoundError(key);
  absl::StatusOr<RecordHeader> h = ReadHeader(fd->get(), path.file);
  if (!h.ok()) return h.status();
  if (!IsLive(*h, absl::Now())) return KeyNotFoundError(key);
  Item item;
  item.value.resize(h->value_size);
  if (absl::Status s = PreadAll(fd->get(), item.value.data(), h->value_size,
                                kHeaderBytes, DataPath(path.file));
      !s.ok()) {
    return s;
  }
  item.meta = MetaOf(*h);
  return item;
}

absl::StatusOr<Meta> FsStore::DoGetMeta(const std::string& key) {
  KeyPath path = PathForKey(key);
  auto guard = LockStripes({StripeOf(key)}, /*exclusive=*/false);
  if (!guard.ok()) return guard.status();
  absl::StatusOr<KeyState> state = ReadState(path.file);
  if (!state.ok()) return state.status();
  if (!state->live) return KeyNotFoundError(key);
  return MetaOf(*state->live);
}

absl::StatusOr<TempFile> FsStore::WriteTemp(std::string_view value,
                                            absl::Duration ttl) {
  TempFile t;
  t.name = absl::StrCat(temp_prefix_, temp_seq_.fetch_add(1));
  t.value_size = value.size();
  if (ttl > absl::ZeroDuration()) {
    t.expires_ns = absl::ToUnixNanos(absl::Now() + ttl);
  }
  std::string where = absl::StrCat(kTmpDir, "/", t.name);
  int fd = openat(tmp_.get(), t.name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", where, errno);
  t.fd = Fd(fd);
  // A placeholder header (revision 0 marks an unpublished file); Publish
  // stamps the real one under the key's lock.
  RecordHeader placeholder;
  placeholder.value_size = value.size();
  absl::Status s = WriteAll(fd, EncodeHeader(placeholder), where);
  if (s.ok()) s = WriteAll(fd, value, where);
  if (!s.ok()) {
    DiscardTemp(t);
    return s;
  }
  return t;
}

void FsStore::DiscardTemp(TempFile& t) {
  if (t.fd.get() < 0 && t.name.empty()) return;
  t.fd = Fd();
  if (!t.name.empty()) unlinkat(tmp_.get(), t.name.c_str(), 0);
  t.name.clear();
}

absl::Status FsStore::MakeParents(const std::string& parent) {
  if (parent.empty()) return absl::OkStatus();
  std::size_t pos = 0;
  while (true) {
    pos = parent.find('/', pos + 1);
    std::string dir = parent.substr(0, pos);
    if (mkdirat(data_.get(), dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", DataPath(dir), errno);
    }
    if (pos == std::string::npos) return absl::OkStatus();
  }
}

absl::Status FsStore::Stamp(TempFile& t, std::uint64_t revision) {
  std::string where = absl::StrCat(kTmpDir, "/", t.name);
  RecordHeader h;
  h.revision = revision;
  h.mtime_ns = absl::ToUnixNanos(absl::Now());
  h.expires_ns = t.expires_ns;
  h.value_size = t.value_size;
  if (absl::Status s = PwriteAll(t.fd.get(), EncodeHeader(h), 0, where);
      !s.ok()) {
    return s;
  }
  if (options_.sync && fdatasync(t.fd.get()) != 0) {
    return ErrnoError("fsync", where, errno);
  }
  t.fd = Fd();
  return absl::OkStatus();
}

absl::Status FsStore::Place(const std::string& temp, const KeyPath& path,
                            bool create) {
  for (int attempt = 1;; ++attempt) {
    // link() fails if the file exists: create-only holds even against a
    // writer that ignores the lock.
    int rc = create ? linkat(tmp_.get(), temp.c_str(), data_.get(),
                             path.file.c_str(), 0)
                    : renameat(tmp_.get(), temp.c_str(), data_.get(),
                               path.file.c_str());
    if (rc == 0) break;
    int err = errno;
    if (err == ENOENT && attempt < kPublishAttempts) {
      if (absl::Status s = MakeParents(path.parent); !s.ok()) return s;
      continue;
    }
    if (create && err == EEXIST) {
      return absl::AbortedError(absl::StrCat(
          "fs store: \"", DataPath(path.file),
          "\" appeared while locked; a program other than cask writes there"));
    }
    return ErrnoError(create ? "link" : "rename", DataPath(path.file), err);
  }
  if (create) unlinkat(tmp_.get(), temp.c_str(), 0);
  return absl::OkStatus();
}

absl::Status FsStore::SyncDirs(const std::string& parent) {
  if (!options_.sync) return absl::OkStatus();
  // The new (or removed) directory entry, and those of directories made
  // for it (by this write, a commit or a concurrent writer): every level,
  // since a clean directory's fsync costs little.
  std::string dir = parent;
  while (true) {
    const char* name = dir.empty() ? "." : dir.c_str();
    Fd dfd(openat(data_.get(), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    int injected = TEST_Fault("fsync-dir");
    if (dfd.get() < 0 || injected != 0 || fsync(dfd.get()) != 0) {
      return ErrnoError("fsync", DataPath(name), injected ? injected : errno);
    }
    if (dir.empty()) return absl::OkStatus();
    std::size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

absl::Status FsStore::Unlink(const std::string& rel) {
  if (unlinkat(data_.get(), rel.c_str(), 0) != 0 && errno != ENOENT &&
      errno != ENOTDIR) {
    return ErrnoError("unlink", DataPath(rel), errno);
  }
  return absl::OkStatus();
}

void FsStore::RemoveEmptyParents(std::string parent) {
  // Best effort: rmdir fails harmlessly on a directory that is not empty,
  // and a writer whose directory vanished recreates it (Publish).
  while (!parent.empty()) {
    if (unlinkat(data_.get(), parent.c_str(), AT_REMOVEDIR) != 0) return;
    std::size_t slash = parent.rfind('/');
    parent = slash == std::string::npos ? "" : parent.substr(0, slash);
  }
}

absl::StatusOr<std::string> FsStore::DoSet(const std::string& key,
                                           std::string_view value,
                                           const WriteOptions& options) {
  KeyPath path = PathForKey(key);
  absl::StatusOr<TempFile> temp = WriteTemp(value, options.ttl);
  if (!temp.ok()) return temp.status();
  absl::StatusOr<std::string> result = [&]() -> absl::StatusOr<std::string> {
    auto guard = LockStripes({StripeOf(key)}, /*exclusive=*/true);
    if (!guard.ok()) return guard.status();
    bool create = false;
    if (!options.precondition.empty()) {
      absl::StatusOr<KeyState> state = ReadState(path.file);
      if (!state.ok()) return state.status();
      if (absl::Status s = EvaluatePrecondition(key, options.precondition,
                                                EtagOrNull(*state));
          !s.ok()) {
        return s;
      }
      create = !state->file_exists;
    }
    absl::StatusOr<std::uint64_t> revision = counter_->Next();
    if (!revision.ok()) return revision.status();
    if (absl::Status s = Stamp(*temp, *revision); !s.ok()) return s;
    if (absl::Status s = Place(temp->name, path, create); !s.ok()) return s;
    temp->name.clear();
    // The rename is the commit point: from here on the new value is
    // visible, so a failure can no longer say "nothing applied".
    if (absl::Status s = SyncDirs(path.parent); !s.ok()) {
      return PastCommitPoint(absl::StrCat("set of ", QuoteForMessage(key)), s);
    }
    return Etag(*revision);
  }();
  DiscardTemp(*temp);
  return result;
}

absl::Status FsStore::DoRemove(const std::string& key,
                               const Precondition& precondition) {
  KeyPath path = PathForKey(key);
  {
    auto guard = LockStripes({StripeOf(key)}, /*exclusive=*/true);
    if (!guard.ok()) return guard.status();
    if (!precondition.empty()) {
      absl::StatusOr<KeyState> state = ReadState(path.file);
      if (!state.ok()) return state.status();
      if (absl::Status s =
              EvaluatePrecondition(key, precondition, EtagOrNull(*state));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = Unlink(path.file); !s.ok()) return s;
    if (absl::Status s = SyncDirs(path.parent); !s.ok()) {
      return PastCommitPoint(absl::StrCat("remove of ", QuoteForMessage(key)),
                             s);
    }
  }
  RemoveEmptyParents(path.parent);
  return absl::OkStatus();
}

std::vector<FsStore::DirEntry> FsStore::ListDir(const std::string& rel) const {
  std::vector<DirEntry> entries;
  int fd = openat(data_.get(), rel.empty() ? "." : rel.c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return entries;  // absent or removed meanwhile: nothing under it
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return entries;
  }
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : 0;
    }
    if (type == DT_DIR || type == DT_REG) {
      entries.push_back(DirEntry{std::string(name), type == DT_DIR});
    }
  }
  closedir(dir);
  return entries;
}

void FsStore::Walk(const std::string& rel, const std::string& prefix,
                   const std::string& pending, std::vector<Leaf>& leaves,
                   std::vector<std::string>* dirs) const {
  std::vector<DirEntry> entries = ListDir(rel);
  for (const auto& [name, is_dir] : entries) {
    std::optional<WalkStep> step = StepInto(prefix, pending, name);
    if (!step) continue;  // not a name cask writes
    std::string child = rel.empty() ? name : absl::StrCat(rel, "/", name);
    if (is_dir) {
      if (name.back() == kLeafSuffix) continue;
      Walk(child, step->prefix, step->pending, leaves, dirs);
      if (dirs != nullptr) dirs->push_back(child);
    } else if (std::optional<std::string> key = LeafKey(*step)) {
      leaves.push_back(Leaf{*std::move(key), std::move(child)});
    }
  }
}

absl::Status FsStore::DoClear(const std::string& base) {
  std::vector<Leaf> leaves;
  std::vector<std::string> dirs;
  std::string top = JoinComponents(BaseComponents(base));
  Walk(top, base, "", leaves, &dirs);
  // Once one file is gone, a failure can no longer say nothing applied.
  std::set<std::string> parents;
  auto failed = [&](absl::Status s) {
    return parents.empty() ? s : PastCommitPoint("clear", s);
  };
  for (const Leaf& leaf : leaves) {
    auto guard = LockStripes({StripeOf(leaf.key)}, /*exclusive=*/true);
    if (!guard.ok()) return failed(guard.status());
    if (unlinkat(data_.get(), leaf.path.c_str(), 0) != 0 && errno != ENOENT) {
      return failed(ErrnoError("unlink", DataPath(leaf.path), errno));
    }
    std::size_t slash = leaf.path.rfind('/');
    parents.insert(slash == std::string::npos ? ""
                                              : leaf.path.substr(0, slash));
  }
  for (const std::string& parent : parents) {
    if (absl::Status s = SyncDirs(parent); !s.ok()) return failed(s);
  }
  // Deepest first; a directory a writer has just refilled stays.
  for (const std::string& d : dirs)
    unlinkat(data_.get(), d.c_str(), AT_REMOVEDIR);
  if (!top.empty()) RemoveEmptyParents(top);
  return absl::OkStatus();
}

void FsStore::RemoveStaleTemps() {
  // Temp files older than this are leftovers of a crashed writer.
  constexpr absl::Duration kStaleTempAge = absl::Hours(1);
  int fd = openat(tmp_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return;
  }
  std::vector<std::string> stale;
  absl::Time cutoff = absl::Now() - kStaleTempAge;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.substr(0, 5) != ".tmp-") continue;
    struct stat st;
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (absl::TimeFromTimespec(st.st_mtim) < cutoff) {
      stale.emplace_back(name);
    }
  }
  for (const std::string& name : stale) unlinkat(fd, name.c_str(), 0);
  closedir(dir);
}

}  // namespace fs_internal

namespace {

using fs_internal::ErrnoError;
using fs_internal::Fd;
using fs_internal::kDataDir;
using fs_internal::kJournalDir;
using fs_internal::kMetaDir;
using fs_internal::kTmpDir;
using fs_internal::RandomHex64;
using fs_internal::WriteAll;

constexpr char kStoreIdFile[] = "store-id";
constexpr std::string_view kStoreIdPrefix = "caskfs 1 ";

// Reads, or creates once for all processes, the store's random identity.
absl::StatusOr<std::string> LoadStoreId(int meta_fd, int tmp_fd) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(openat(meta_fd, kStoreIdFile, O_RDONLY | O_CLOEXEC));
    if (fd.get() >= 0) {
      char buf[64];
      ssize_t n = read(fd.get(), buf, sizeof buf);
      if (n < 0) return ErrnoError("read", ".cask/store-id", errno);
      std::string_view text(buf, static_cast<std::size_t>(n));
      if (text.substr(0, kStoreIdPrefix.size()) != kStoreIdPrefix ||
          text.size() != kStoreIdPrefix.size() + 17 || text.back() != '\n') {
        return fs_internal::CorruptFileError(".cask/store-id",
                                             "not a cask fs store id");
      }
      return std::string(text.substr(kStoreIdPrefix.size(), 16));
    }
    if (errno != ENOENT) return ErrnoError("open", ".cask/store-id", errno);
    // Write it aside, then link() it in: the first opener wins, everyone
    // reads the winner's id.
    std::string temp = absl::StrCat(".tmp-id-", getpid(), "-", RandomHex64());
    {
      Fd out(openat(tmp_fd, temp.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (out.get() < 0) return ErrnoError("create", temp, errno);
      absl::Status s = WriteAll(
          out.get(), absl::StrCat(ToAbsl(kStoreIdPrefix), RandomHex64(), "\n"),
          temp);
      if (s.ok() && fsync(out.get()) != 0) s = ErrnoError("fsync", temp, errno);
      if (!s.ok()) {
        unlinkat(tmp_fd, temp.c_str(), 0);
        return s;
      }
    }
    int rc = linkat(tmp_fd, temp.c_str(), meta_fd, kStoreIdFile, 0);
    int err = errno;
    unlinkat(tmp_fd, temp.c_str(), 0);
    if (rc != 0 && err != EEXIST) {
      return ErrnoError("link", ".cask/store-id", err);
    }
  }
  return absl::InternalError("fs store: cannot read .cask/store-id");
}

absl::Status MakeDirs(const std::string& path) {
  for (std::size_t pos = 1;; ++pos) {
    pos = path.find('/', pos);
    std::string dir = path.substr(0, pos);
    if (!dir.empty() && mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", dir, errno);
    }
    if (pos == std::string::npos) return absl::OkStatus();
  }
}

absl::StatusOr<Fd> OpenDirAt(int at, const char* rel, std::string_view what,
                             bool create) {
  if (create && mkdirat(at, rel, 0755) != 0 && errno != EEXIST) {
    return ErrnoError("mkdir", what, errno);
  }
  int fd = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", what, errno);
  return Fd(fd);
}

}  // namespace

absl::StatusOr<FsOptions> FsOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("fs store URI \"", ToAbsl(text), "\": ", ToAbsl(why)));
  };
  if (uri->scheme != "file") return bad("scheme must be file");
  if (!uri->host.empty() && uri->host != "localhost") {
    return bad("a host is not allowed (use file:///absolute/dir)");
  }
  if (uri->path.empty() || uri->path.front() != '/') {
    return bad("the path must be absolute (file:///absolute/dir)");
  }
  FsOptions options;
  options.root = uri->path;
  for (const auto& [name, value] : uri->query) {
    bool on;
    if (value == "1" || value == "true") {
      on = true;
    } else if (value == "0" || value == "false") {
      on = false;
    } else {
      return bad(absl::StrCat("parameter ", name, " must be 0 or 1"));
    }
    if (name == "sync") {
      options.sync = on;
    } else if (name == "create") {
      options.create_if_missing = on;
    } else {
      return bad(absl::StrCat("unknown parameter ", name));
    }
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateFsStore(FsOptions options) {
  if (options.root.empty()) {
    return absl::InvalidArgumentError("fs store: empty root directory");
  }
  if (options.create_if_missing) {
    if (absl::Status s = MakeDirs(options.root); !s.ok()) return s;
  }
  absl::StatusOr<Fd> root =
      OpenDirAt(AT_FDCWD, options.root.c_str(), options.root, false);
  if (!root.ok()) return root.status();
  absl::StatusOr<Fd> meta = OpenDirAt(root->get(), kMetaDir, kMetaDir, true);
  if (!meta.ok()) return meta.status();
  absl::StatusOr<Fd> tmp = OpenDirAt(root->get(), kTmpDir, kTmpDir, true);
  if (!tmp.ok()) return tmp.status();
  absl::StatusOr<Fd> data = OpenDirAt(root->get(), kDataDir, kDataDir, true);
  if (!data.ok()) return data.status();
  absl::StatusOr<Fd> journal =
      OpenDirAt(root->get(), kJournalDir, kJournalDir, true);
  if (!journal.ok()) return journal.status();
  absl::StatusOr<std::string> id = LoadStoreId(meta->get(), tmp->get());
  if (!id.ok()) return id.status();
  auto locks = fs_internal::StripeLocks::Open(meta->get(), "locks");
  if (!locks.ok()) return locks.status();
  auto counter =
      fs_internal::SharedCounter::Open(meta->get(), "counter", options.sync);
  if (!counter.ok()) return counter.status();
  auto store = std::make_unique<fs_internal::FsStore>(
      std::move(options), *std::move(root), *std::move(data), *std::move(tmp),
      *std::move(journal), *std::move(id), *std::move(locks),
      *std::move(counter));
  // Journals first: a dead committer's temp files are still needed.
  if (absl::Status s = store->RecoverCommits(); !s.ok()) return s;
  store->RemoveStaleTemps();
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenFsStoreUri(std::string_view uri) {
  absl::StatusOr<FsOptions> options = FsOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateFsStore(*std::move(options));
}

}  // namespace cask
