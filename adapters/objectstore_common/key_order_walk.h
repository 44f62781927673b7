// A paged scan in cask's key order over an object store whose names put
// '/' where keys have ':' (s3, azure_blob: object_names.h).
//
// The services list names in bytewise order, and '/' (0x2f) sorts below
// the digits while ':' (0x3a) sorts above them, so the two orders differ:
// keys "s1:a" < "s10" but names "s1/a" < "s10" the other way round. They
// differ only there: wherever a key prefix u is followed by ':' in one key
// and by a digit in another. So the walk lists one level at a time (a
// delimiter '/' listing folds each "directory" u/ into one entry) and holds
// a directory back until the level's listing has passed every name that
// sorts below it as a key ("u0"…"u9…", which follow u/ at once), then walks
// it. Memory: one listing page per level on the way down, plus the held
// directories (at most one per prefix of a segment).
//
// Resuming after a key t of a level needs two more things. The listing
// starts just after t, but directories u/ where u is a proper prefix of t
// followed by a digit sort before t as names and after it as keys; they
// are looked up with one-entry listings (one answers for every candidate
// up to the name it returns, so a dense level costs a few). And when the
// resumed key lies inside directory t/, the names "t0"…"t9…" sort below it
// as keys and are skipped by starting the level's listing after
// "t9\U0010FFFF" (the largest code point): only a name that continues with
// that character is read and dropped.
//
// Not part of cask's public API. Thread safety: a walk is used by one
// thread; the listing function must be safe to call from it.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_KEY_ORDER_WALK_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_KEY_ORDER_WALK_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/types.h"

namespace cask::objstore {

// One entry of a level listing: an object (with its metadata) or a
// directory, named by the segment below the level (no '/').
struct LevelEntry {
  std::string segment;
  bool is_dir = false;
  Meta meta;  // objects only
};

struct LevelPage {
  std::vector<LevelEntry> entries;  // in the service's name order
  std::string continuation;         // "" when the level is complete
};

// Lists the level below key prefix `level_key` ("" for the top): the
// objects and directories whose names start with that level's name prefix,
// in name order, starting after the name prefix + `after` ("" = from the
// start of the level) or, when `continuation` is set, where the previous
// page ended. At most `max` entries.
// For listing functions whose service answers objects and directories in
// two lists, each in name order: one list in name order (a directory's
// name is its segment and '/').
std::vector<LevelEntry> MergeByName(std::vector<LevelEntry> objects,
                                    std::vector<LevelEntry> dirs);

using ListLevelFn = std::function<absl::StatusOr<LevelPage>(
    const std::string& level_key, const std::string& after,
    const std::string& continuation, std::size_t max)>;

struct WalkedKey {
  std::string key;
  Meta meta;
};

// Up to `limit` keys under normalised `base` and > normalised
// `start_after`, in bytewise key order, with their listed metadata.
// Segments the store cannot hold (empty ones) are skipped. Errors are the
// listing function's.
absl::StatusOr<std::vector<WalkedKey>> WalkInKeyOrder(
    const ListLevelFn& list, const std::string& base,
    const std::string& start_after, std::size_t limit);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_KEY_ORDER_WALK_H_
