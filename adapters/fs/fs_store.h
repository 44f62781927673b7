// fs: a store of one file per key under a root directory, shared safely by
// any number of threads and processes on one machine.
//
// Layout: <root>/data/ holds the values, one file per key, at a path made
// from the key by fs_path.h (segments percent-encoded, the last one a file
// ending in '~', so "a" and "a:b" coexist; no key can leave data/).
// <root>/.cask/ holds the store's identity (store-id), the revision counter,
// the lock file and tmp/ for files being written.
//
// Etags: "<revision hex>.<store id>". The revision comes from a store-wide
// 64-bit counter shared by every process (fs_locks.h) and never reset, and
// the store id is 64 random bits chosen when the directory first became a
// store. So an etag changes on every write (same content, same size, same
// nanosecond included), is never reused for a key (not after delete and
// re-create, not after Clear), and never matches in another store. The
// revision sits in the value file's header (fs_record.h), so a read returns
// the value and its etag from one file, atomically.
//
// Writes: the value is written to a temp file in .cask/tmp/, then, under
// the key's lock, the precondition is checked, the header stamped and the
// file renamed over the old one (link() for a create-only write of a key
// with no file), so readers see the old or the new value, never a torn one.
// A crash leaves at most a stray temp file, which is never read and is
// removed by a later open once it is an hour old.
//
// CAS: preconditions (shared evaluator, cask/precondition.h) are checked
// and applied under an exclusive lock of the key's stripe, an OFD file lock
// honoured by every process, so if_match, if_none_match, create-only and
// conditional remove are atomic across processes. Reads hold the stripe
// shared, so they never see a batch half-applied.
//
// Commit: all-or-nothing against every other cask client, in this and
// other processes: every stripe of the batch is locked (ascending order),
// all preconditions checked, then the files renamed; all puts of one commit
// share one revision. Crash-atomic: a journal renamed into .cask/journal/
// is the commit point (fs_commit.cc); a commit whose process dies after it
// is completed by the next operation on its keys (or the next open), one
// that dies before it leaves nothing applied. After the commit point a
// failure is kUnknown, never a code that says nothing was applied.
//
// Scan (and Keys, which pages through it) and Clear walk data/ without a
// store-wide lock: a scan page is not a snapshot (a commit running
// meanwhile may be listed in part) and Clear is not atomic; each file is
// removed under its key's lock. Scan walks directories in key order (not
// file-name order), opening only those that can hold keys past
// start_after; a damaged value file in a page is kDataLoss.
//
// TTL: the expiry is in the header; an expired key is invisible to every
// read, counts as absent for preconditions, and its file is removed by the
// next write, remove or clear of it.
//
// Cannot: keep the etag for same-content writes (every write is a new
// revision); serve case-insensitive file systems (keys differing in case
// would collide); protect against non-cask programs writing into data/;
// survive power loss without `sync` (the counter may then roll back).
// Linux only (OFD locks). Not usable across fork(): reopen in the child.
//
// Thread safety: thread-safe; any number of stores (in this or other
// processes) may open the same root at once.
#ifndef CASK_ADAPTERS_FS_FS_STORE_H_
#define CASK_ADAPTERS_FS_FS_STORE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct FsOptions {
  // The store's root directory. Required.
  std::string root;
  // Create the root (and parents) when missing; when false a missing root
  // is kNotFound.
  bool create_if_missing = true;
  // fsync every value file and its directory (and the counter) before a
  // write returns, so acknowledged writes survive power loss. Off: they
  // survive a crash of any process (kill -9) but not of the machine.
  bool sync = false;

  // From "file:///abs/dir[?sync=1&create=0]" (also "file:/abs/dir" and
  // "file://localhost/abs/dir"). kInvalidArgument for another scheme, a
  // host, a relative or empty path, or an unknown parameter value.
  static absl::StatusOr<FsOptions> FromUri(std::string_view uri);
};

// Opens (creating when allowed) the store at options.root.
// kInvalidArgument: empty root. kNotFound: missing root and not
// create_if_missing. kPermissionDenied / kResourceExhausted / kDataLoss (a
// damaged .cask/store-id) from the file system.
absl::StatusOr<std::unique_ptr<Driver>> CreateFsStore(FsOptions options);

// FsOptions::FromUri, then CreateFsStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenFsStoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_FS_FS_STORE_H_
