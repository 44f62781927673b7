// The one place where RocksDB's statuses become cask's codes.
//
//   NoSpace (disk full)                 -> kResourceExhausted
//   Corruption                          -> kDataLoss
//   IOError, Busy, TryAgain,
//   ShutdownInProgress, Incomplete      -> kUnavailable
// (Open explains a failed open itself from errno and the lock table:
// store_dir.h. No code here is decided from a message's text.)
//   InvalidArgument, NotSupported       -> kInvalidArgument
//   NotFound                            -> kNotFound
//   anything else                       -> kInternal
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_
#define CASK_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace cask::engine {

// `what` names the operation (and key) for the message.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_
