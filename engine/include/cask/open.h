// Opening a store by URI, for the CLI, the server and applications that
// take a store from configuration.
//
//   mem:                          in-process memory store
//   lru:?max_entries=N&max_bytes=B  bounded in-process LRU store
//   null:                         drops writes; no CAS
//   file:///abs/dir               one file per key under dir (fs)
//   cask:///abs/dir or a plain path  the RocksDB engine (when built)
// and each remote adapter's scheme (redis://, sqlite://, postgres://,
// mysql://, etcd://, s3://, azblob://, aztable://, http://) when built in.
// docs/adapters.md lists every scheme with its parameters.
//
// Thread safety: OpenStore is thread-safe.
#ifndef CASK_OPEN_H_
#define CASK_OPEN_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

// Opens the store named by `uri`. kInvalidArgument for a malformed URI or
// an unknown scheme (the message lists the schemes built in); the store's
// own open errors otherwise.
absl::StatusOr<std::unique_ptr<Driver>> OpenStore(std::string_view uri);

// The schemes this build can open, e.g. {"mem", "lru", "null", "file"}.
std::vector<std::string> SupportedSchemes();

}  // namespace cask

#endif  // CASK_OPEN_H_
