// A read-only view of a store pinned at one moment (Driver::OpenSnapshot):
// every Get and Scan through it sees the same state, whatever is written to
// the store meanwhile, like a RocksDB snapshot or an LMDB read transaction.
//
// Holding a snapshot keeps the store from discarding the data it can see
// (old versions stay on disk, or a backend transaction stays open), so hold
// one only as long as needed. A Snapshot must be destroyed before the
// Driver it came from.
//
// Status codes returned:
//   OK                 success.
//   kNotFound          Get of a key absent in the snapshot.
//   kInvalidArgument   bad key, base, start_after or a zero scan limit.
//   kOutOfRange        the store no longer holds the view (etcd compacted
//                      past its revision; the owner process that pinned it
//                      for this one exited, or this process lost its
//                      connection to it; the PostgreSQL connection that
//                      held it was lost): open a new snapshot. Never a read
//                      of another state.
//   kUnavailable       backend unreachable; retry may help.
//   kDataLoss          corruption detected.
//
// Thread safety: safe for concurrent use by many threads.
#ifndef CASK_SNAPSHOT_H_
#define CASK_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/scan.h"
#include "cask/types.h"

namespace cask {

class Snapshot {
 public:
  virtual ~Snapshot() = default;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The store-wide revision the view is pinned at: every write with a
  // revision up to it is visible, none after. 0 on a store without
  // revisions.
  virtual std::uint64_t revision() const = 0;

  // The value and metadata `key` had in the snapshot. kNotFound if absent.
  absl::StatusOr<Item> Get(std::string_view key);

  // A page of the keys under `base` as the snapshot holds them (see
  // cask/scan.h). Keys of the reserved space (cask/key.h) are left out
  // unless `base` lies in it.
  absl::StatusOr<ScanPage> Scan(std::string_view base,
                                const ScanOptions& options = {});

 protected:
  Snapshot() = default;

  // Keys and bases arrive normalised and valid; options.start_after
  // normalised (or empty) and options.limit > 0.
  virtual absl::StatusOr<Item> DoGet(const std::string& key) = 0;
  virtual absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                          const ScanOptions& options) = 0;
};

}  // namespace cask

#endif  // CASK_SNAPSHOT_H_
