// The owner's outcome records of forwarded writes (docs/processes.md,
// "Exactly-once retries"): their keys, their lookup, and the bound on how
// many stay behind. Records go
//   - below a client's settled sequence, every kPruneEvery writes of it;
//   - all of a client's at once when it closes cleanly (kGoodbye);
//   - after OutcomeRetention(), whoever wrote them (a client that died
//     leaves its last ones), by a background thread.
// A client never retries a write for longer than kMaxWriteRetry, well
// under the retention, so no retry can come for a record that is gone.
//
// Thread safety: safe for concurrent use.
#ifndef CASK_ENGINE_ROCKSDB_IPC_OUTCOMES_H_
#define CASK_ENGINE_ROCKSDB_IPC_OUTCOMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cask/batch.h"
#include "engine_impl.h"

namespace cask::engine::ipc {

// How often a client's writes prune its settled records.
inline constexpr std::uint64_t kPruneEvery = 256;
// The longest a client retries one write across failovers before it
// answers kUnknown (even with EngineOptions::ipc_call_timeout 0).
inline constexpr absl::Duration kMaxWriteRetry = absl::Minutes(30);
// How old a record gets before the owner drops it (default one hour;
// TEST_SetOutcomeRetention in ipc.h).
absl::Duration OutcomeRetention();

class OutcomeKeeper {
 public:
  // Starts the background thread that drops old records of `engine`.
  explicit OutcomeKeeper(EngineImpl* engine);
  ~OutcomeKeeper();
  OutcomeKeeper(const OutcomeKeeper&) = delete;
  OutcomeKeeper& operator=(const OutcomeKeeper&) = delete;

  // The sys key of the record of (client, seq).
  static std::string Key(std::uint64_t client, std::uint64_t seq);

  // The recorded result of a write (nullopt: none); kDataLoss when the
  // record is malformed.
  absl::StatusOr<std::optional<CommitResult>> Lookup(const std::string& key);
  // Write `seq` of `client` says every lower sequence below
  // `settled_below` is answered: every kPruneEvery writes, their records go.
  void Settled(std::uint64_t client, std::uint64_t seq,
               std::uint64_t settled_below);
  // `client` closed after making sequences [1, end): its records go.
  absl::Status Goodbye(std::uint64_t client, std::uint64_t end);
  // How many records the store holds.
  absl::StatusOr<std::uint64_t> Count();

 private:
  void AgeLoop();

  EngineImpl* const engine_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_OUTCOMES_H_
