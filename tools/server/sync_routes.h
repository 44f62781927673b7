// The sync conflict routes of `cask serve` (docs/protocol.md, docs/sync.md):
//   POST /_cask/sync/conflicts[?peer=P]  list the served store's unresolved
//                                        sync conflicts (every peer, or P)
//   POST /_cask/sync/resolve             settle one (JSON body)
// For a store that `cask sync` (or an application's cask::Sync) replicates
// with a remote: its conflicts live in the store's reserved key space, so
// the server reads and settles them with ListSyncConflicts /
// ResolveSyncConflict (cask/sync.h) and needs no Sync of its own. The
// resolution syncs at the syncing process's next round.
//
// Thread safety: pure functions over a thread-safe Driver.
#ifndef CASK_TOOLS_SERVER_SYNC_ROUTES_H_
#define CASK_TOOLS_SERVER_SYNC_ROUTES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask::server {

inline constexpr std::string_view kSyncConflictsPath = "/_cask/sync/conflicts";
inline constexpr std::string_view kSyncResolvePath = "/_cask/sync/resolve";

// `{"conflicts":[{"peer","key","remote_exists","remote_etag",
// "remote_value" (when UTF-8) | "remote_value_base64","reason",
// "detected_us"}]}`, by peer then key. `peer` empty: every peer.
absl::StatusOr<std::string> SyncConflictsJson(Driver& store,
                                              std::string_view peer);

// Settles the conflict a resolve body names:
//   {"key": K, "keep": "local" | "remote" | "merged",
//    "value": V | "value_base64": B | "delete": true   (merged only),
//    "if_match": E | [E..] | "*", "if_none_match": ...  (merged only; the
//    local write's precondition, default the local etag seen now),
//    "peer": P (default: every peer with a conflict on K)}
// Returns `{"key":K,"peers":[...]}` naming the peers settled.
// kInvalidArgument: a malformed body; kNotFound: no conflict on K;
// kAborted: the local value changed meanwhile (look again).
absl::StatusOr<std::string> ResolveSyncConflictJson(Driver& store,
                                                    std::string_view body);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_SYNC_ROUTES_H_
