// Status helpers shared by every cask store.
//
// cask reports every outcome through absl::Status. The codes that matter to
// callers (see docs/errors.md for the whole table):
//   kAborted          precondition failed (CAS mismatch): re-read and retry.
//   kUnimplemented    the store cannot honour this request atomically (CAS or
//                     atomic batch unsupported); nothing was sent to it.
//   kInvalidArgument  bad key, bad etag syntax, contradictory preconditions.
//   kNotFound         the key does not exist (Get / GetMeta).
//   kUnavailable      backend unreachable; nothing was applied, retry may help.
//   kUnknown          connection lost mid-write: the write may or may not
//                     have been applied (the message says so).
//   kResourceExhausted value too large, disk full.
//   kOutOfRange       change-log position already compacted.
//   kDataLoss         corruption detected.
//
// Thread safety: all functions here are pure and thread-safe.
#ifndef CASK_STATUS_H_
#define CASK_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cask {

// True when `status` is a CAS mismatch (a precondition did not hold).
bool IsCasMismatch(const absl::Status& status);

// True when `status` says the store cannot honour a precondition or an
// atomic batch (nothing was sent to the backend).
bool IsCasUnsupported(const absl::Status& status);

// A CAS mismatch on `key`. `current_etag` is the key's etag at the time of
// the check, or nullopt when the key did not exist; it travels in the
// status payload (see CurrentEtag).
absl::Status CasMismatchError(std::string_view key,
                              const std::optional<std::string>& current_etag);

// The etag carried by a CAS mismatch, or nullopt when the key did not exist
// or the status is not a mismatch.
std::optional<std::string> CurrentEtag(const absl::Status& status);

// CAS unsupported: `what` names the store and the refused feature.
absl::Status CasUnsupportedError(std::string_view what);

// One failed precondition inside a Commit.
struct Conflict {
  std::string key;
  std::string expected;               // the precondition, as text
  std::optional<std::string> actual;  // current etag; nullopt if absent
  bool operator==(const Conflict&) const = default;
};

// A failed Commit: kAborted whose message names every failing key with its
// expected and actual etag, and whose payload carries them (see Conflicts).
absl::Status CommitConflictError(const std::vector<Conflict>& conflicts);

// The conflicts carried by a failed Commit (one entry for a single-key CAS
// mismatch too); empty when `status` is not a CAS mismatch.
std::vector<Conflict> Conflicts(const absl::Status& status);

}  // namespace cask

#endif  // CASK_STATUS_H_
