// The baseline of bench_scale: plain RocksDB, one column family, opened
// with the engine's own database and table options (engine/rocksdb/
// db_options.h: the same block cache size, bloom filters, compression and
// write buffers as the engine's meta column family). Every key is one
// RocksDB Put of the bare value: no metadata, no change log.
//
// Thread safety: as rocksdb::DB (safe for concurrent use).
#ifndef CASK_BENCH_SCALE_RAW_STORE_H_
#define CASK_BENCH_SCALE_RAW_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/db.h"

namespace cask::bench {

class RawStore {
 public:
  // Opens (creating) the database in `dir`; aborts on failure.
  explicit RawStore(const std::string& dir);
  ~RawStore();

  // Keys 0..n-1 in WriteBatches of `batch` keys, WAL on, no fsync (the
  // engine's kBuffered).
  void Load(std::uint64_t n, std::uint64_t batch);
  // Keys first..first+count-1 in one WriteBatch (a step of Load).
  void LoadRange(std::uint64_t first, std::uint64_t count);
  // Get, then Put of `value`, of each key: the raw store's read-modify-
  // write, the baseline of the engine's CAS (GetMeta + Set with If-Match).
  void GetPut(const std::vector<std::string>& keys, const std::string& value);
  // The value of `key`; false when absent.
  bool Get(const std::string& key, std::string* value);
  // Iterates from the first key under kBase, copying up to `limit` keys
  // and values into pages of `page` entries as a caller would keep them.
  // Returns how many it read.
  std::uint64_t Scan(std::uint64_t limit, std::uint64_t page);
  // Flushes the memtable, then lets compactions finish (as the engine's close
  // does), at most 120 s.
  void WaitForCompactions();

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
};

}  // namespace cask::bench

#endif  // CASK_BENCH_SCALE_RAW_STORE_H_
