// Outcome records: the result of a successful write, stored in the sys
// column family under a key the writer chose (WriteContext::outcome_key),
// in the same RocksDB write as the data. The many-process layer answers a
// retried request from them instead of applying it twice (docs/processes.md,
// "Exactly-once retries").
//
// Format (little-endian): u8 version (1) | i64 written at, unix micros |
// u32 n | n × (u32 length + etag) | u64 revision.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_ROCKSDB_OUTCOME_RECORD_H_
#define CASK_ENGINE_ROCKSDB_OUTCOME_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/batch.h"

namespace cask::engine {

struct OutcomeRecord {
  CommitResult result;
  absl::Time written;
};

std::string EncodeOutcomeRecord(const CommitResult& result,
                                std::int64_t written_micros);
// kDataLoss when `bytes` is not a record of this format.
absl::StatusOr<OutcomeRecord> DecodeOutcomeRecord(std::string_view bytes);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_OUTCOME_RECORD_H_
