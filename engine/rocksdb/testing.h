// Test hooks of the engine: opening it on a custom RocksDB Env (a fault-
// injecting file system). Not for production use.
#ifndef CASK_ENGINE_ROCKSDB_TESTING_H_
#define CASK_ENGINE_ROCKSDB_TESTING_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/engine.h"

namespace rocksdb {
class Env;
}

namespace cask::engine {

// Engine::Open on `env` (nullptr: the default Env). `env` must outlive the
// engine.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithEnv(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env);

// How many RocksDB writes of commit groups this process made with sync
// (an fsync of the WAL) since it started.
std::uint64_t TEST_SyncedWrites();

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_TESTING_H_
