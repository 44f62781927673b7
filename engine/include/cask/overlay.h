// overlay: one writable layer over read-only ones (unstorage's overlay
// driver) — e.g. a local engine in front of a remote cache. Build it here
// from stores you hold, or open it by URI (cask/open.h):
//
//   overlay:?layer=<top uri>&layer=<lower uri>...
//
// each layer a store URI, percent-encoded ("mem:" -> "mem%3A"), the top
// (writable) layer first. docs/adapters.md has an example.
//
// Reads fall through the layers, top first; a key the top layer holds (a
// value or a tombstone) is answered by the top alone, so a lower layer that
// is slow or down costs and fails nothing for it. A remove of a key the top
// holds while a lower layer is unreachable writes a tombstone. Only keys
// that need a lower layer (absent from the top), and Keys and Clear, report
// its errors. Writes go to the top layer.
// Removing a key that a lower layer holds writes a tombstone to the top
// layer (a value equal to kOverlayTombstone), which hides the lower copies;
// Keys, Scan and Get never show tombstones. Clear(base) clears the top layer
// and tombstones every lower key under base. Sync (cask/sync.h) on the pair
// (top, lower) treats a top-layer tombstone as an absent key, so a remove
// through the overlay is pushed as a remove.
//
// Etags: those of the layer that holds the visible value. CAS: a
// precondition is evaluated against the merged view, and the write to the
// top layer is pinned to the top layer's state that the evaluation saw
// (if-match its etag, or create-only when it had none), so it is atomic
// whenever the top layer has CAS; a pin that fails because another writer
// got in first is re-evaluated, a bounded number of times, then reported
// as a mismatch. Capabilities (cas, atomic_batch, ttl) are the top layer's.
// Lower layers are read-only through the overlay; a change made to a lower
// layer directly is seen by later reads but is not covered by the pin.
//
// Thread-safe if the layers are.
#ifndef CASK_OVERLAY_H_
#define CASK_OVERLAY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

// The top layer's value that marks a removed key. A value equal to it
// cannot be stored through the overlay (kInvalidArgument).
inline constexpr std::string_view kOverlayTombstone =
    std::string_view("\0cask-overlay-tombstone\0", 24);

// layers[0] is the writable top. kInvalidArgument for fewer than one layer
// or a null layer. The overlay shares ownership of the layers.
absl::StatusOr<std::unique_ptr<Driver>> CreateOverlayStore(
    std::vector<std::shared_ptr<Driver>> layers);

}  // namespace cask

#endif  // CASK_OVERLAY_H_
