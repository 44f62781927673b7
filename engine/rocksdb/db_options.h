// The RocksDB options of an engine store, in one place for Open and Repair.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_ROCKSDB_DB_OPTIONS_H_
#define CASK_ENGINE_ROCKSDB_DB_OPTIONS_H_

#include <vector>

#include "cask/engine.h"
#include "rocksdb/db.h"

namespace cask::engine {

// The column families, in the order of EngineImpl's handles.
inline constexpr char kMetaCf[] = "meta";
inline constexpr char kDataCf[] = "data";
inline constexpr char kTtlCf[] = "ttl";
inline constexpr char kLogCf[] = "log";

// Database-wide options for `options` on `env` (nullptr: the default Env).
// Creates nothing: create_if_missing and friends are left off.
rocksdb::DBOptions MakeDbOptions(const EngineOptions& options,
                                 rocksdb::Env* env);

// sys (default), meta, data, ttl, log.
std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(
    const EngineOptions& options);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_DB_OPTIONS_H_
