// Plain value types of the cask API: metadata, items, per-call write options
// and change-log events.
//
// Thread safety: plain values; not synchronised.
#ifndef CASK_TYPES_H_
#define CASK_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cask/precondition.h"

namespace cask {

// What a store knows about one key.
struct Meta {
  std::string etag;                   // opaque, unquoted; never empty
  absl::Time mtime;                   // time of the last write
  std::uint64_t size = 0;             // value size in bytes
  std::optional<absl::Time> expires;  // nullopt: never expires
  std::uint64_t revision = 0;         // store-wide revision of the last write;
                                      // 0 where the store has no revisions
};

// A value together with the metadata read in the same atomic step, so that
// a read-modify-write can pass `meta.etag` back as its precondition.
struct Item {
  std::string value;
  Meta meta;
};

// Per-call options of a write.
struct WriteOptions {
  Precondition precondition;
  // Time to live. Zero: the item never expires. Negative:
  // kInvalidArgument. A store without TTL support answers kUnimplemented.
  absl::Duration ttl = absl::ZeroDuration();
};

// What a committed change did to a key.
enum class ChangeKind { kPut, kDelete, kExpire, kClear };

// One record of a store's change log (stores with capabilities().watch).
struct ChangeEvent {
  std::uint64_t revision = 0;  // strictly increasing, store-wide
  std::string key;             // for kClear: the cleared base ("" = all)
  ChangeKind kind = ChangeKind::kPut;
  std::string etag;  // new etag for kPut, empty otherwise
  absl::Time time;
  std::uint64_t size = 0;  // new value size for kPut
  // kPut: the value written, when the feed carries it (etcd's watch
  // always; `cask serve`'s feed for values up to a size, if it still holds
  // this etag); nullopt: read the key to learn it. Lets a replica apply a
  // page of the feed without one read per key.
  std::optional<std::string> value;
};

std::string_view ChangeKindName(ChangeKind kind);

}  // namespace cask

#endif  // CASK_TYPES_H_
