// Test hooks of the engine: opening it on a custom RocksDB Env (a fault-
// injecting file system). Not for production use.
#ifndef CASK_ENGINE_ROCKSDB_TESTING_H_
#define CASK_ENGINE_ROCKSDB_TESTING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/engine.h"

namespace rocksdb {
class Env;
}

namespace cask::engine {

// The engine itself, without the many-process layer, on `env` (nullptr:
// the default Env). `env` must outlive the engine. ipc::Open builds on it.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithEnv(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env);

// How many commit groups this process fsynced for durability (the store's
// kDurable, or a write of a kDurable client) since it started; the syncs
// of buffered revision reservations are not counted.
std::uint64_t TEST_SyncedWrites();
// Commit groups applied by ingesting table files (batch_ingest.h).
std::uint64_t TEST_IngestedGroups();
// Closes of this process that waited for flushes and compactions until
// the 30 s bound (table_files.cc) instead of seeing them end.
std::uint64_t TEST_CompactionWaitsTimedOut();

// Test hook: the engine on an injected Env / FileSystem (a disk that fills
// up, a machine that loses power). Not part of the public API.
inline absl::StatusOr<std::unique_ptr<Engine>> TEST_OpenEngineWithEnv(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env) {
  return OpenEngineWithEnv(path, options, env);
}

// Benchmark hook: with false, ingested commits (batch_ingest.h) write
// uncompressed table files and keep their global sequence number in the
// MANIFEST only, a design bench_scale measures against the default (true:
// compressed like any table file) in the same run. Process-wide.
void TEST_SetCompressedIngestion(bool compressed);

// Test hook: from now on the engine believes the machine was rebooted as
// `boot_id` (a simulated power loss also reboots).
void TEST_SetBootId(std::string boot_id);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_TESTING_H_
