// Commits of the fs store, crash-atomic through a journal, and the
// recovery of journals left by committers that died.
//
// A commit, holding every stripe of its batch exclusively:
//   1. checks every precondition (nothing written yet);
//   2. stamps its temp files with the commit's revision;
//   3. raises the commit marks of the stripes it writes (fs_locks.h);
//   4. writes its journal (fs_journal.h) to .cask/tmp/ and renames it into
//      .cask/journal/: the commit point;
//   5. renames / unlinks in batch order;
//   6. removes the journal, lowers the marks.
// A failure before 4 leaves nothing applied and reports the underlying
// code; after 4 the commit will be whole (the journal is replayed by
// whoever finds it) and a failure is kUnknown. Whoever takes a stripe and
// finds its mark raised (the committer died, or gave up after 4) completes
// every pending journal first, under the recovery lock and each journal's
// stripes, so no reader or writer ever sees half a commit.
//
// Replay is idempotent and never undoes a later write: a put is renamed
// only while its temp file exists and the key's file is older than the
// journal's revision; a delete unlinks only a file older than it.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "absl/strings/str_cat.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "fs_errors.h"
#include "fs_store_impl.h"
#include "fs_test_hooks.h"

namespace cask::fs_internal {
namespace {

// Bounds the retries when marks keep appearing (committers dying over and
// over); each round completes every journal it found.
constexpr int kRecoveryRounds = 64;

std::string JournalPath(std::string_view name) {
  return absl::StrCat(kJournalDir, "/", ToAbsl(name));
}

// The directory part of a path relative to data/ ("" for a top-level file).
std::string ParentOf(const std::string& rel) {
  std::size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

// `hooked`: the TEST_ "fsync-dir" point applies.
absl::Status FsyncDir(int dir_fd, std::string_view what, bool hooked) {
  int injected = hooked ? TEST_Fault("fsync-dir") : 0;
  if (injected != 0 || fsync(dir_fd) != 0) {
    return ErrnoError("fsync", what, injected ? injected : errno);
  }
  return absl::OkStatus();
}

// The whole content of `name` in `dir_fd`; kNotFound when it is gone.
absl::StatusOr<std::string> ReadSmallFile(int dir_fd, const std::string& name,
                                          std::string_view what) {
  Fd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return ErrnoError("open", what, errno);
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", what, errno);
    }
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<StripeGuard>> FsStore::LockStripes(
    std::vector<std::size_t> stripes, bool exclusive) {
  for (int round = 0; round < kRecoveryRounds; ++round) {
    auto guard = std::make_unique<StripeGuard>(*locks_, stripes, exclusive);
    if (!guard->status().ok()) return guard->status();
    bool marked =
        std::any_of(stripes.begin(), stripes.end(),
                    [&](std::size_t s) { return counter_->Marked(s); });
    if (!marked) return guard;
    // We hold the stripe, so its marker is not running: complete its
    // commit before anything reads or writes these keys.
    guard.reset();
    if (absl::Status s = RecoverCommits(); !s.ok()) return s;
  }
  return absl::UnavailableError(
      "fs store: commits of dead processes kept appearing on these keys; "
      "nothing was done");
}

absl::StatusOr<std::vector<std::string>> FsStore::ListJournals() const {
  int fd = openat(journal_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", kJournalDir, errno);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return ErrnoError("open", kJournalDir, err);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(dir);
  return names;
}

absl::Status FsStore::Replay(const Journal& journal) {
  for (const JournalOp& op : journal.ops) {
    // The key's file as it is now: a later revision means this step (and
    // anything after it) is already done.
    std::uint64_t current = 0;
    bool exists = false;
    absl::StatusOr<Fd> fd = OpenValue(op.path);
    if (!fd.ok()) return fd.status();
    if (fd->get() >= 0) {
      exists = true;
      absl::StatusOr<RecordHeader> h = ReadHeader(fd->get(), op.path);
      if (h.ok()) current = h->revision;  // damaged: older than anything
    }
    if (!op.put) {
      if (exists && current < journal.revision) {
        if (absl::Status s = Unlink(op.path); !s.ok()) return s;
      }
      continue;
    }
    if (current >= journal.revision) {
      unlinkat(tmp_.get(), op.temp.c_str(), 0);
      continue;
    }
    if (faccessat(tmp_.get(), op.temp.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) !=
        0) {
      if (errno == ENOENT) continue;  // renamed before the crash
      return ErrnoError("stat", absl::StrCat(kTmpDir, "/", op.temp), errno);
    }
    if (absl::Status s =
            Place(op.temp, KeyPath{op.path, ParentOf(op.path)}, false);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status FsStore::RecoverCommits() {
  StripeGuard recovery(*locks_, {kRecoveryLock}, /*exclusive=*/true);
  if (!recovery.status().ok()) return recovery.status();
  for (int round = 0; round < kRecoveryRounds; ++round) {
    absl::StatusOr<std::vector<std::string>> names = ListJournals();
    if (!names.ok()) return names.status();
    std::set<std::size_t> journal_stripes;
    for (const std::string& name : *names) {
      absl::StatusOr<std::string> text =
          ReadSmallFile(journal_.get(), name, JournalPath(name));
      if (absl::IsNotFound(text.status())) continue;  // its commit finished
      if (!text.ok()) return text.status();
      absl::StatusOr<Journal> journal = DecodeJournal(*text, JournalPath(name));
      if (!journal.ok()) return journal.status();
      StripeGuard guard(*locks_, journal->stripes, /*exclusive=*/true);
      if (!guard.status().ok()) return guard.status();
      // Still there while we hold its stripes: its committer is gone.
      if (faccessat(journal_.get(), name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) !=
          0) {
        continue;
      }
      if (absl::Status s = Replay(*journal); !s.ok()) return s;
      std::set<std::string> parents;
      for (const JournalOp& op : journal->ops)
        parents.insert(ParentOf(op.path));
      for (const std::string& parent : parents) {
        if (absl::Status s = SyncDirs(parent); !s.ok()) return s;
      }
      if (unlinkat(journal_.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
        return ErrnoError("unlink", JournalPath(name), errno);
      }
    }
    // Marks of committers that died before publishing their journal or
    // after removing it, and of the journals completed above.
    bool again = false;
    for (std::size_t s = 0; s < kLockStripes && !again; ++s) {
      if (!counter_->Marked(s)) continue;
      StripeGuard guard(*locks_, {s}, /*exclusive=*/true);
      if (!guard.status().ok()) return guard.status();
      if (!counter_->Marked(s)) continue;
      // No live committer holds s, so a journal naming it now was left by
      // one that died after the listing above: go round again.
      absl::StatusOr<std::vector<std::string>> now = ListJournals();
      if (!now.ok()) return now.status();
      for (const std::string& name : *now) {
        absl::StatusOr<std::string> text =
            ReadSmallFile(journal_.get(), name, JournalPath(name));
        if (absl::IsNotFound(text.status())) continue;
        if (!text.ok()) return text.status();
        absl::StatusOr<Journal> journal =
            DecodeJournal(*text, JournalPath(name));
        if (!journal.ok()) return journal.status();
        again |= std::binary_search(journal->stripes.begin(),
                                    journal->stripes.end(), s);
      }
      if (!again) counter_->ClearMark(s);
    }
    if (!again) return absl::OkStatus();
  }
  return absl::UnavailableError(
      "fs store: commits of dead processes kept appearing during recovery");
}

absl::StatusOr<CommitResult> FsStore::DoCommit(const Batch& batch) {
  const std::vector<BatchOp>& ops = batch.ops();
  std::vector<KeyPath> paths;
  std::vector<std::size_t> stripes;
  Journal journal;
  std::vector<TempFile> temps(ops.size());
  auto discard_all = [&] {
    for (TempFile& t : temps) DiscardTemp(t);
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    paths.push_back(PathForKey(ops[i].key));
    stripes.push_back(StripeOf(ops[i].key));
    if (ops[i].kind != BatchOpKind::kVerify) {
      journal.stripes.push_back(stripes.back());
    }
    if (ops[i].kind == BatchOpKind::kPut) {
      absl::StatusOr<TempFile> t = WriteTemp(ops[i].value, ops[i].options.ttl);
      if (!t.ok()) {
        discard_all();
        return t.status();
      }
      temps[i] = *std::move(t);
    }
  }
  std::sort(journal.stripes.begin(), journal.stripes.end());
  journal.stripes.erase(
      std::unique(journal.stripes.begin(), journal.stripes.end()),
      journal.stripes.end());
  absl::StatusOr<CommitResult> result = [&]() -> absl::StatusOr<CommitResult> {
    auto guard = LockStripes(stripes, /*exclusive=*/true);
    if (!guard.ok()) return guard.status();
    std::vector<Conflict> conflicts;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      absl::StatusOr<KeyState> state = ReadState(paths[i].file);
      if (!state.ok()) return state.status();
      std::optional<std::string> current = EtagOrNull(*state);
      if (!PreconditionHolds(ops[i].options.precondition, current)) {
        conflicts.push_back(Conflict{
            ops[i].key, DescribePrecondition(ops[i].options.precondition),
            current});
      }
    }
    if (!conflicts.empty()) return CommitConflictError(conflicts);
    // Everything that can fail short of the commit point happens first,
    // so such a failure leaves nothing applied.
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind != BatchOpKind::kPut) continue;
      if (absl::Status s = MakeParents(paths[i].parent); !s.ok()) return s;
    }
    absl::StatusOr<std::uint64_t> revision = counter_->Next();
    if (!revision.ok()) return revision.status();
    CommitResult out;
    out.revision = *revision;
    journal.revision = *revision;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == BatchOpKind::kPut) {
        if (absl::Status s = Stamp(temps[i], *revision); !s.ok()) return s;
        journal.ops.push_back(JournalOp{true, temps[i].name, paths[i].file});
        out.etags.push_back(Etag(*revision));
      } else {
        if (ops[i].kind == BatchOpKind::kDelete) {
          journal.ops.push_back(JournalOp{false, "", paths[i].file});
        }
        out.etags.emplace_back();
      }
    }
    if (journal.ops.empty()) return out;  // only verifies
    if (options_.sync) {
      // The temp files' names must outlive a power loss with the journal.
      if (absl::Status s = FsyncDir(tmp_.get(), kTmpDir, false); !s.ok())
        return s;
    }
    std::string name =
        absl::StrCat(temp_prefix_, temp_seq_.fetch_add(1), ".journal");
    counter_->RaiseMarks(journal.stripes);
    absl::Status published = [&]() -> absl::Status {
      std::string where = absl::StrCat(kTmpDir, "/", name);
      Fd fd(openat(tmp_.get(), name.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (fd.get() < 0) return ErrnoError("create", where, errno);
      if (absl::Status s = WriteAll(fd.get(), EncodeJournal(journal), where);
          !s.ok()) {
        return s;
      }
      if (options_.sync && fdatasync(fd.get()) != 0) {
        return ErrnoError("fsync", where, errno);
      }
      int injected = TEST_Fault("journal-publish");
      if (injected != 0 || renameat(tmp_.get(), name.c_str(), journal_.get(),
                                    name.c_str()) != 0) {
        return ErrnoError("rename", JournalPath(name),
                          injected ? injected : errno);
      }
      return absl::OkStatus();
    }();
    if (!published.ok()) {
      unlinkat(tmp_.get(), name.c_str(), 0);
      counter_->LowerMarks(journal.stripes);
      return published;
    }
    // The commit point. The journal owns the temp files from here on.
    for (TempFile& t : temps) t.name.clear();
    absl::Status durable = absl::OkStatus();
    if (options_.sync) durable = FsyncDir(journal_.get(), kJournalDir, true);
    for (const JournalOp& op : journal.ops) {
      absl::Status s;
      if (int err = TEST_Fault("commit-apply"); err != 0) {
        s = ErrnoError(op.put ? "rename" : "unlink", DataPath(op.path), err);
      } else if (op.put) {
        s = Place(op.temp, KeyPath{op.path, ParentOf(op.path)},
                  /*create=*/false);
      } else {
        s = Unlink(op.path);
      }
      if (!s.ok()) {
        // Journal and marks stay: the next operation on these keys (or
        // the next open) completes the commit.
        return PastCommitPoint("commit", s);
      }
    }
    std::set<std::string> parents;
    for (const JournalOp& op : journal.ops) parents.insert(ParentOf(op.path));
    for (const std::string& parent : parents) {
      if (!durable.ok()) break;
      durable = SyncDirs(parent);
    }
    if (unlinkat(journal_.get(), name.c_str(), 0) != 0) {
      return PastCommitPoint("commit",
                             ErrnoError("unlink", JournalPath(name), errno));
    }
    counter_->LowerMarks(journal.stripes);
    if (!durable.ok()) return PastCommitPoint("commit", durable);
    return out;
  }();
  discard_all();
  if (result.ok()) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == BatchOpKind::kDelete) {
        RemoveEmptyParents(paths[i].parent);
      }
    }
  }
  return result;
}

}  // namespace cask::fs_internal
