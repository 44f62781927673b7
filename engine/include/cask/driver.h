// The interface every cask store implements: the engine, each adapter, and
// Storage (which mounts several drivers under one key space).
//
// Callers use the public, non-virtual methods. They normalise and validate
// keys (cask/key.h) and preconditions (cask/precondition.h), and refuse
// what the store cannot do (capabilities()), all *before* the backend is
// touched; only then do they call the protected Do* methods that a store
// implements. So every store gets identical argument checking, and a
// precondition is never skipped silently.
//
// Status codes returned by the public methods (docs/errors.md):
//   OK                 success.
//   kNotFound          Get / GetMeta of a missing (or expired) key.
//   kInvalidArgument   bad key or base, malformed or contradictory
//                      precondition, negative ttl, duplicate key or empty
//                      verify in a batch.
//   kAborted           CAS mismatch: a precondition did not hold; nothing
//                      was written. CurrentEtag(status) gives the current
//                      etag; for Commit, Conflicts(status) lists all keys.
//   kUnimplemented     CAS unsupported (a precondition on a store without
//                      capabilities().cas), atomic batch unsupported, ttl or
//                      watch unsupported. Nothing was sent to the backend.
//   kResourceExhausted value over capabilities().max_value_bytes, disk full.
//   kUnavailable       backend unreachable; nothing applied; retry may help.
//   kUnknown           connection lost mid-write; outcome unknown.
//   kOutOfRange        Changes / Watch below the log's retention; GetAt of
//                      a revision the store no longer holds.
//   kDataLoss          corruption detected.
//
// Thread safety: every Driver is safe for concurrent use by many threads
// without external synchronisation. Whether it is also safe across
// processes is stated by each store (docs/adapters.md).
#ifndef CASK_DRIVER_H_
#define CASK_DRIVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/batch.h"
#include "cask/precondition.h"
#include "cask/scan.h"
#include "cask/snapshot.h"
#include "cask/types.h"

namespace cask {

// What a store can honour. The public methods consult these flags before
// calling the backend.
struct Capabilities {
  bool cas = false;           // preconditions evaluated atomically
  bool atomic_batch = false;  // Commit is all-or-nothing
  bool ttl = false;           // WriteOptions::ttl honoured
  bool watch = false;         // Changes and Watch available
  bool snapshot = false;      // OpenSnapshot available
  bool get_at = false;        // GetAt available: past revisions are readable
  // Largest value accepted, in bytes; 0 means no limit of cask's own.
  std::uint64_t max_value_bytes = 0;
};

// Keeps a Watch alive; destroying it stops delivery (and waits for a
// callback in progress to return).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

using WatchCallback = std::function<void(const ChangeEvent&)>;

class Driver {
 public:
  virtual ~Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // A short name for messages: "memory", "engine", "redis", ...
  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;

  // The value and metadata of `key`, read atomically. kNotFound if absent.
  absl::StatusOr<Item> Get(std::string_view key);
  // Get into the caller's `*item`, for loops that read many keys: the value
  // and the etag are assigned into item->value and item->meta.etag, so
  // their buffers are reused and a store that reads in process (the
  // engine) allocates nothing once they are large enough. Every other
  // store answers through Get and moves the result in. Returns exactly
  // what Get returns: OK, kNotFound if absent or expired, kInvalidArgument
  // for a bad key, and the store's own errors (kUnavailable, kDataLoss,
  // ...). On any error *item is cleared (empty value, a default Meta; the
  // buffers are kept), so a failed read never leaves the previous key's
  // value and etag behind to be mistaken for this one's. REQUIRES: `item`
  // is not null and no other thread uses it during the call.
  absl::Status GetInto(std::string_view key, Item* item);
  // Metadata only. kNotFound if absent.
  absl::StatusOr<Meta> GetMeta(std::string_view key);
  absl::StatusOr<bool> Has(std::string_view key);

  // Writes `value` if options.precondition holds (atomically with the
  // write) and returns the new etag, also when there is no precondition.
  absl::StatusOr<std::string> Set(std::string_view key, std::string_view value,
                                  const WriteOptions& options = {});

  // Removes `key` if `precondition` holds. Removing a missing key with no
  // precondition is OK (nothing happens).
  absl::Status Remove(std::string_view key,
                      const Precondition& precondition = {});

  // Normalised keys under `base` ("" = all), sorted. Expired keys are
  // never listed, nor keys of the reserved space (cask/key.h) unless
  // `base` lies in it.
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view base = "");

  // One page of the keys under `base` ("" = all) in bytewise key order,
  // with their metadata (and values when options.with_values), starting
  // after options.start_after; see cask/scan.h for paging and consistency.
  // Memory is bounded by the page, whatever the store's size. Expired keys
  // are never listed, nor keys of the reserved space unless `base` lies in
  // it. kInvalidArgument for a bad base or start_after or a zero limit.
  absl::StatusOr<ScanPage> Scan(std::string_view base,
                                const ScanOptions& options = {});

  // A read-only view of the whole store pinned at this moment (see
  // cask/snapshot.h). kUnimplemented without capabilities().snapshot;
  // kResourceExhausted when this process holds as many as the store allows
  // (the engine from a process that is not the owner: 1024).
  absl::StatusOr<std::unique_ptr<Snapshot>> OpenSnapshot();

  // The value `key` had just after store revision `revision`: kNotFound if
  // it was absent then; kOutOfRange if the store no longer holds that
  // state (a revision above CurrentRevision() is kOutOfRange too). What
  // each store still holds: docs/api.md, "Snapshots". kUnimplemented
  // unless capabilities().get_at.
  absl::StatusOr<Item> GetAt(std::string_view key, std::uint64_t revision);

  // Removes every key under `base` ("" = all). Not atomic unless a store
  // says so; etags are never reused afterwards.
  absl::Status Clear(std::string_view base = "");

  // Applies `batch` all-or-nothing (see cask/batch.h). kUnimplemented on a
  // store without capabilities().atomic_batch.
  absl::StatusOr<CommitResult> Commit(const Batch& batch);

  // Up to `limit` change-log events with revision > after_revision, in
  // revision order (empty when none yet); events of the reserved key
  // space (cask/key.h) are left out. kOutOfRange if events after
  // after_revision were already trimmed. kUnimplemented without
  // capabilities().watch.
  absl::StatusOr<std::vector<ChangeEvent>> Changes(std::uint64_t after_revision,
                                                   std::size_t limit);

  // The newest committed revision (0 for a new store): pass it as
  // after_revision to Watch or Changes to see only what happens from now
  // on. A store without a change log (capabilities().watch false) may
  // still answer with a counter of its writes (Redis): one per key that a
  // Set, Remove or Commit changed, one per Clear; expiry does not move it.
  // The same answer twice means nothing was written in between.
  // kUnimplemented on a store that cannot tell.
  absl::StatusOr<std::uint64_t> CurrentRevision();

  // Delivers every event for keys under `base` with revision >
  // after_revision, in revision order, without gaps or duplicates, on a
  // thread owned by the store, until the Subscription is destroyed. A
  // kClear event is delivered to a watch whose base lies under, or
  // contains, the cleared base.
  absl::StatusOr<std::unique_ptr<Subscription>> Watch(
      std::string_view base, std::uint64_t after_revision,
      WatchCallback callback);

  // The capabilities that apply to `normalised_key`. Storage overrides this
  // to answer for the mounted driver that owns the key.
  virtual Capabilities CapabilitiesFor(
      const std::string& /*normalised_key*/) const {
    return capabilities();
  }

 protected:
  Driver() = default;

  // Implemented by each store. Keys and bases arrive normalised and valid;
  // preconditions arrive validated and only when the store declared cas;
  // ttl only when it declared ttl; values within max_value_bytes. Batches
  // arrive with normalised, distinct keys.
  virtual absl::StatusOr<Item> DoGet(const std::string& key) = 0;
  // Default: DoGet, moved into *item. A store overrides it to assign into
  // item's buffers. May leave *item in any state on error (GetInto then
  // clears it).
  virtual absl::Status DoGetInto(const std::string& key, Item* item);
  virtual absl::StatusOr<Meta> DoGetMeta(const std::string& key) = 0;
  // Default: DoGetMeta, mapping kNotFound to false.
  virtual absl::StatusOr<bool> DoHas(const std::string& key);
  virtual absl::StatusOr<std::string> DoSet(const std::string& key,
                                            std::string_view value,
                                            const WriteOptions& options) = 0;
  virtual absl::Status DoRemove(const std::string& key,
                                const Precondition& precondition) = 0;
  // May return keys unsorted; Keys() sorts.
  virtual absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) = 0;
  virtual absl::Status DoClear(const std::string& base) = 0;
  // options.start_after arrives normalised (or empty), options.limit > 0.
  // Default: kUnimplemented.
  virtual absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                          const ScanOptions& options);
  // Every key under `base`, paging through DoScan: what a store whose
  // DoScan is native uses as its DoKeys, so listing has one code path.
  absl::StatusOr<std::vector<std::string>> KeysByScan(const std::string& base);
  // Defaults: kUnimplemented (never reached unless the flag is set).
  virtual absl::StatusOr<CommitResult> DoCommit(const Batch& batch);
  virtual absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit);
  virtual absl::StatusOr<std::uint64_t> DoCurrentRevision();
  virtual absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback);
  virtual absl::StatusOr<std::unique_ptr<Snapshot>> DoOpenSnapshot();
  virtual absl::StatusOr<Item> DoGetAt(const std::string& key,
                                       std::uint64_t revision);
};

}  // namespace cask

#endif  // CASK_DRIVER_H_
