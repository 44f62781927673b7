// etcd: a cask store in an etcd v3 cluster, spoken to through etcd's JSON
// gateway (POST /v3/kv/range, /v3/kv/txn, /v3/kv/put, /v3/kv/deleterange,
// /v3/lease/grant, /v3/watch) over libcurl. Tested against etcd 3.4.
//
// Layout: key `k` is the etcd key `<prefix>k`. Its etcd value is a 17-byte
// header (format byte, mtime in ms and expiry in ms, big-endian; mtime is
// the writing client's clock) followed by the value bytes.
//
// Etags: the key's mod_revision, in decimal. etcd revisions are
// cluster-wide and never reused, so an etag is never reused for a key (not
// after delete-and-recreate nor after Clear) and etags of two stores
// (prefixes) on one cluster never match. Meta::revision and
// CommitResult::revision are that revision too. Writing the same bytes
// again gives a new etag.
//
// CAS: one txn per write. create-only compares create_revision = 0; a
// swap (if-match one etag) compares mod_revision; both take one round
// trip. Any other precondition (lists, if-match *, if-none-match etag)
// first reads the key, evaluates it with cask's shared evaluator and then
// runs a txn pinned on the mod_revision read (or create_revision 0 when
// absent), so the evaluation stays atomic with the write. When a txn's
// compare fails, its failure branch reads the keys in the same round trip;
// the precondition is re-evaluated on that snapshot: a mismatch is
// reported with the current etag, otherwise (the key changed but the
// precondition still holds) the txn is re-pinned and sent again. This is
// safe: a failed txn applied nothing.
// Commit: one txn with every compare and every put / delete (at most 128
// operations with etcd's default --max-txn-ops).
//
// TTL: each put with a ttl attaches a lease granted just before it (one
// extra round trip). Lease TTLs are whole seconds and etcd grants at least
// its minimum (2 s by default): the ttl is rounded up to that, and
// Meta::expires says what was granted. etcd deletes the key when it
// revokes the lease (up to ~0.5 s after expiry); reads and keys() hide it
// from its expiry time on, but a swap pinned on its etag can still win in
// that window.
//
// Scan (and Keys, which pages through it): one range read per page, from
// just past start_after to the base's end, with etcd's `limit` and `more`;
// values are read with it (the metadata lives in each value's header), so
// a page is one consistent read. Keys past their expiry but not yet
// revoked are left out. Clear(base): one deleterange, atomic.
//
// Change feed (capabilities().watch), from etcd's native watch through
// the gateway's streaming POST /v3/watch:
//   - revisions are etcd's (the etags); CurrentRevision is the cluster's
//     revision now (one range read).
//   - Changes(after, limit) opens a watch from after + 1 and reads it up to
//     the revision current when it opened. etcd sends nothing for
//     revisions without an event in the watched range, so "no more events"
//     could not be told from "not yet": the watch covers every key of the
//     cluster (every revision has an event somewhere) and keeps only this
//     store's prefix. So a page costs one request, but reads the events of
//     every prefix on the cluster in between (fine for etcd's usual small,
//     mostly-read data; on a cluster with auth, the user needs read access
//     to the whole key space). A page not read within `timeout` is
//     kUnavailable (a frozen server never blocks Changes forever).
//   - A transaction (Commit) or a Clear makes several events with one
//     revision (a Clear is one delete per key; there is no kClear event).
//     A page never splits a revision: it ends after the first revision
//     that reaches `limit` events, so it may hold more.
//   - A lease expiry is a kDelete (etcd does not say why a key went). A
//     delete's time is the reading client's clock; a put's, the writer's
//     mtime.
//   - kOutOfRange once etcd has compacted past after + 1 (etcd's
//     compact_revision), for Changes and when a Watch starts; a running
//     Watch that meets a compaction while reconnecting stops delivering
//     rather than skip events.
//   - Watch(base) follows one watch of the store's prefix on a thread of
//     its own (a connection each), reconnecting from the last revision
//     delivered after a failure; destroying the Subscription stops it
//     within a second.
//
// Snapshots: a snapshot is the cluster revision when it was opened; its
// Get and Scan are range reads at that revision, so they see one state
// until etcd compacts past it (then kOutOfRange). GetAt(key, r) is a range
// read at r: the value the key had then, including overwritten values,
// back to the last compaction (kOutOfRange below it or above the current
// revision). Both judge TTL expiry like the engine (docs/api.md).
//
// Errors (etcd_errors.h): connection refused is kUnavailable; a write sent
// whose reply was lost (or which etcd reports as timed out) is kUnknown
// ("outcome unknown") and is never retried, neither by the adapter nor by
// libcurl (the shared transport, adapters/http_transport, refuses
// libcurl's re-send of a request whose kept-alive connection died).
//
// Limits: values up to Options::max_value_bytes (etcd's default request
// limit is 1.5 MiB). Meta and Get both read the whole value.
//
// Thread-safe: concurrent calls go out in parallel over a pool of
// kept-alive connections.
#ifndef CASK_ADAPTERS_ETCD_ETCD_STORE_H_
#define CASK_ADAPTERS_ETCD_ETCD_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

struct EtcdOptions {
  // Server address of the JSON gateway (etcd's client URL). Default
  // 127.0.0.1:2379, plain http.
  std::string host = "127.0.0.1";
  std::uint16_t port = 2379;
  // Every key of the store lives under this etcd key prefix. Must not be
  // empty, so that stores sharing a cluster stay apart.
  std::string prefix = "cask/";
  // Time allowed to connect. Must be > 0.
  absl::Duration connect_timeout = absl::Seconds(2);
  // Time allowed for one request, reply included. Must be > 0. A write
  // whose reply does not arrive in time is kUnknown.
  absl::Duration timeout = absl::Seconds(10);
  // Largest value accepted, in bytes; must be > 0. Keep it under etcd's
  // --max-request-bytes (1.5 MiB by default) minus the key and header.
  std::uint64_t max_value_bytes = (3u << 19) - (32u << 10);

  // Parses `etcd://host[:port][?prefix=P&timeout_ms=N&connect_timeout_ms=N
  // &max_value_bytes=N]`. kInvalidArgument on anything else.
  static absl::StatusOr<EtcdOptions> FromUri(std::string_view uri);
};

// Checks that the server answers (kUnavailable when it cannot be reached)
// and returns the store. kInvalidArgument for bad options.
absl::StatusOr<std::unique_ptr<Driver>> OpenEtcdStore(EtcdOptions options);

// FromUri, then OpenEtcdStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenEtcdStoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_ETCD_ETCD_STORE_H_
