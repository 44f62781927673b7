// Sync's records in the local store's reserved key space, and their
// encoding. Not installed.
//
// Under ".cask:sync:<peer>" (P):
//   P:push, P:pull  checkpoints: the local / remote revision synced through
//                   (decimal). Hints only: replaying events is idempotent.
//   P:scan          for a remote without a feed: its write count
//                   (CurrentRevision) that the last complete scan saw.
//   P:k:<h>         per-key state, h = XXH3-128 of the user key (so any
//                   key fits under the key size limit): the user key, the
//                   remote etag last synced ("" = absent there) and the
//                   hash of the value both sides agreed on ("" = absent;
//                   kDirtyHash = must be pushed).
//   P:c:<h>         an unresolved conflict (SyncConflict's fields).
//   P:d:<h>         a key a resolution marked for the next push.
// Values are sequences of netstrings ("<len>:<bytes>,").
#ifndef CASK_SYNC_SYNC_STATE_H_
#define CASK_SYNC_SYNC_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/sync.h"

namespace cask::sync_internal {

// A value hash that can never collide with a real one: forces a push.
inline constexpr std::string_view kDirtyHash = "!";

// XXH3-128 of `bytes`, 32 hex digits.
std::string Hash(std::string_view bytes);

struct KeyState {
  std::string key;
  std::string remote_etag;  // "" = the remote does not have the key
  std::string synced_hash;  // "" = absent on both sides; kDirtyHash
};

class StateKeys {
 public:
  explicit StateKeys(std::string_view peer);
  const std::string& base() const { return base_; }
  const std::string& push_checkpoint() const { return push_; }
  const std::string& pull_checkpoint() const { return pull_; }
  // The remote's write count (CurrentRevision) its last scan reflects.
  const std::string& scan_revision() const { return scan_; }
  std::string state(std::string_view key) const;
  std::string conflict(std::string_view key) const;
  std::string dirty(std::string_view key) const;
  std::string state_base() const { return base_ + ":k"; }
  std::string conflict_base() const { return base_ + ":c"; }
  std::string dirty_base() const { return base_ + ":d"; }

 private:
  std::string base_, push_, pull_, scan_;
};

std::string EncodeFields(const std::vector<std::string_view>& fields);
// kDataLoss when `bytes` is not exactly `count` netstrings.
absl::StatusOr<std::vector<std::string>> DecodeFields(std::string_view bytes,
                                                      std::size_t count);

std::string EncodeKeyState(const KeyState& s);
absl::StatusOr<KeyState> DecodeKeyState(std::string_view bytes);
std::string EncodeConflict(const SyncConflict& c);
absl::StatusOr<SyncConflict> DecodeConflict(std::string_view bytes);
absl::StatusOr<std::uint64_t> DecodeCheckpoint(std::string_view bytes);

}  // namespace cask::sync_internal

#endif  // CASK_SYNC_SYNC_STATE_H_
