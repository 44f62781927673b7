// The store directory as the file system sees it, apart from RocksDB: the
// CASK marker, whether database files are present, whether this process
// may write the directory, and who holds RocksDB's LOCK. Open decides from
// these facts (and from errno), never from the text of a RocksDB message.
//
// Thread safety: functions without shared state; safe from any thread.
#ifndef CASK_ENGINE_ROCKSDB_STORE_DIR_H_
#define CASK_ENGINE_ROCKSDB_STORE_DIR_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cask::engine {

// The first line of the CASK marker file.
inline constexpr char kStoreFormat[] = "cask-engine-1";
inline constexpr char kMarkerFile[] = "CASK";

// What the marker says about the store's life.
enum class MarkerState {
  // Written before the database is created: nothing was ever acknowledged,
  // so an unfinished database may be created again.
  kCreating,
  // The store was created completely (its identity is durable). From then
  // on a missing database file is damage, never a reason to create anew.
  kCreated,
};

struct Marker {
  MarkerState state = MarkerState::kCreating;
  // The revision at the last clean close (everything synced), 0 if none:
  // a store that opens at a lower revision has lost acknowledged writes
  // (a WAL deleted or cut short), which Open reports as kDataLoss.
  std::uint64_t closed_revision = 0;
};

// Reads the marker. kNotFound: no marker. kInvalidArgument: another
// version's format (the message says which). kDataLoss: garbage.
// kUnavailable / kPermissionDenied: unreadable.
absl::StatusOr<Marker> ReadMarker(const std::string& dir);
// Writes the marker atomically (temporary file, fsync, rename, fsync of the
// directory). kPermissionDenied / kResourceExhausted / kUnavailable by
// errno.
absl::Status WriteMarker(const std::string& dir, const Marker& marker);

// True when `dir` is empty but for a marker being written (a creation
// interrupted before the marker existed).
bool IsEmptyStoreDir(const std::string& dir);

// True when `dir` holds any RocksDB data file: a table (*.sst), a WAL
// (*.log), a blob file (*.blob) or a MANIFEST-*.
bool HasDatabaseFiles(const std::string& dir);

// OK when this process may create and write files in `dir` (and write its
// LOCK file, when present); kPermissionDenied (EACCES, EPERM, EROFS) or
// kUnavailable (another errno) otherwise, with the errno's text.
absl::Status CheckDirectoryWritable(const std::string& dir);

// The pid of the process holding RocksDB's lock on `dir`/LOCK, read from
// /proc/locks (nullopt: nobody). Opening LOCK to ask fcntl would drop this
// process's own lock on it when closed, so the kernel's table is read.
std::optional<pid_t> LockHolder(const std::string& dir);

// Explains why RocksDB could not open `dir` with `rocks_io_error` (an
// IOError): kPermissionDenied when the directory cannot be written,
// StoreLockedError when another process holds the LOCK, kUnavailable
// "already open in this process" when this one does, else nullopt.
std::optional<absl::Status> ExplainOpenFailure(const std::string& dir);

// This boot of the machine (/proc/sys/kernel/random/boot_id; "" when
// unknown, which callers treat as a reboot). A test may pretend a reboot
// with TEST_SetBootId (testing.h).
std::string BootId();
void SetBootIdForTest(std::string boot_id);

// kUnavailable "the store is open in process N", marked so that callers
// can tell it apart by IsStoreLockedElsewhere (the ipc layer then becomes
// a client of that process).
absl::Status StoreLockedError(const std::string& dir, pid_t holder);
bool IsStoreLockedElsewhere(const absl::Status& status);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_STORE_DIR_H_
