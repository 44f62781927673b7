// The fs store's mapping between keys and relative paths under its data
// directory. Pure functions, kept apart so they can be tested on their own.
//
// A normalised key is split at ':' into segments. Each segment is
// percent-encoded: bytes outside [A-Za-z0-9_.-] become %XX (upper-case hex),
// and so does a leading '.', so no encoded name is ".", ".." or a hidden
// file. An encoded segment longer than kMaxChunkBytes is cut into chunks;
// every chunk after the first is written as its own directory level with a
// '+' prefix (a raw '+' never occurs in an encoded name). The last segment
// of a key is a regular file whose name ends in '~' (never raw either); all
// other segments are directories. So:
//   "a"        -> "a~"
//   "a:b"      -> "a/b~"          ("a" and "a:b" coexist: "a~" and "a/")
//   "50% off"  -> "50%25%20off~"
//   ".x:y"     -> "%2Ex/y~"
// The mapping is injective, every component stays under NAME_MAX, and no
// component can be "", "." or ".." or contain '/', so no key escapes the
// data directory. Paths stay under PATH_MAX for keys of kMaxKeyBytes.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_FS_FS_PATH_H_
#define CASK_ADAPTERS_FS_FS_PATH_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cask::fs_internal {

// Longest encoded chunk in one path component (plus '+' and '~': 202 bytes,
// under every common NAME_MAX of 255).
inline constexpr std::size_t kMaxChunkBytes = 200;
inline constexpr char kLeafSuffix = '~';
inline constexpr char kContinuationPrefix = '+';

// Percent-encodes one key segment (see above). `segment` is non-empty.
std::string EncodeSegment(std::string_view segment);

// Decodes an encoded segment; nullopt when `encoded` is not something
// EncodeSegment produces (a bad escape, a raw byte that is always escaped).
std::optional<std::string> DecodeSegment(std::string_view encoded);

// The path components of the directory that holds the segments below
// normalised `base` ("" for the data directory itself).
std::vector<std::string> BaseComponents(std::string_view base);

// The relative path of normalised `key`'s value file, and its parent
// directory's relative path ("" when the file sits in the data directory).
struct KeyPath {
  std::string file;    // e.g. "a/b~"
  std::string parent;  // e.g. "a"
};
KeyPath PathForKey(std::string_view key);

// Joins components with '/'.
std::string JoinComponents(const std::vector<std::string>& components);

// How a directory entry found while walking the data tree reads back.
// `prefix` is the key of the directory being walked ("" at the top or at a
// base), `pending` the encoded chunks of an unfinished segment ("" when the
// directory ends a whole segment).
struct WalkStep {
  std::string prefix;   // key prefix for the entry's children
  std::string pending;  // encoded segment so far, including this entry
};
// The step for entry `name`, or nullopt when the name is not one the store
// writes (a stray file, a continuation with nothing to continue).
std::optional<WalkStep> StepInto(std::string_view prefix,
                                 std::string_view pending,
                                 std::string_view name);
// The key of a value file reached by `step` whose name ended in the leaf
// suffix (already included in step.pending), or nullopt if it is malformed.
std::optional<std::string> LeafKey(const WalkStep& step);

// The longest key prefix shared by every key stored at or below the
// directory reached by `step`, whose own name (without a continuation '+')
// is `chunk_bytes` long; nullopt when the name is not one the store writes.
// A scan walks entries in the order of these prefixes, since the order of
// encoded names is not the order of keys ('%' escapes, ':' between
// segments). A chunk shorter than kMaxChunkBytes ends its segment, so every
// key below it continues with ':'; a full-length chunk may end its segment
// or continue it, and may end inside an escape, which is left out.
std::optional<std::string> KeyPrefixBelow(const WalkStep& step,
                                          std::size_t chunk_bytes);

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_PATH_H_
