// redis: a cask store inside a Redis database (hiredis client).
//
// Layout: every key lives under Options::prefix. The value and its
// metadata are one hash, `<prefix>d:<key>` = {v: value, e: etag,
// m: mtime in ms, x: expiry in ms (only with a ttl)}, so they change
// together. Two bookkeeping keys sit beside the data: `<prefix>m:seq`
// (the store-wide counter) and `<prefix>m:id` (a random store identity).
//
// Etags: "<counter in hex>.<store id>". The counter is INCR'd by every put
// and never reset (Clear only removes `<prefix>d:` keys), so an etag is
// never reused for a key, not after delete-and-recreate nor after Clear.
// The random store id makes etags of two stores on one server (or of a
// store whose bookkeeping keys were flushed) differ. Never a content hash:
// writing the same bytes again gives a new etag.
//
// CAS and Commit: one Lua script (EVALSHA, EVAL on NOSCRIPT) evaluates
// every precondition of a Set, Remove or Commit and then applies all the
// writes, inside Redis's single-threaded script execution: one round trip,
// atomic against every other client and process. The script implements
// the semantics of cask/precondition.h (the C++ side drops weak tags from
// if-match and strips "W/" from if-none-match before sending).
//
// TTL: PEXPIRE on the hash (millisecond precision; Redis never returns an
// expired key). Clear: SCAN, then batches of 256 keys, each deleted by
// one script that also INCRs the counter, so every deletion a Clear makes
// (even one cut short by a crash or a lost connection) moves the counter.
// Not atomic as a whole (keys written during a Clear may survive).
//
// Scan (and Keys, which pages through it): Redis keeps no key order, so a
// page is one SCAN MATCH over the base's keys keeping only the `limit`
// smallest past start_after in a bounded set (memory O(limit), time
// O(keys under the base) per page, so a full walk costs O(n^2 / limit)),
// then one Lua script reads those keys' metadata and values atomically.
// A sorted index would make pages O(limit) but costs every write a ZADD;
// not built.
//
// Errors (redis_errors.h): connection refused, or a connection found dead
// before a command was sent, is kUnavailable; a connection lost after a
// write was sent is kUnknown ("outcome unknown"), and such a write is never
// retried. Reads are never retried either; the next call reconnects.
//
// Limits: values up to 512 MiB (Redis's string limit). Needs Redis >= 5.0
// (the script calls TIME before writing, which needs effects replication,
// the default since 5.0). Not usable with Redis Cluster when one commit
// spans hash slots. No TLS.
//
// Thread-safe: one connection per store object, behind a mutex; open more
// store objects for parallelism (each one is a separate connection).
#ifndef CASK_ADAPTERS_REDIS_REDIS_STORE_H_
#define CASK_ADAPTERS_REDIS_REDIS_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

struct RedisOptions {
  // Server address. Default 127.0.0.1:6379.
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  // Logical database (SELECT). Default 0.
  std::uint32_t db = 0;
  // AUTH credentials; empty password means no AUTH. A user name needs
  // Redis >= 6 (ACLs).
  std::string user;
  std::string password;
  // Every key of the store lives under this Redis key prefix. Must not be
  // empty, so that stores sharing a database stay apart.
  std::string prefix = "cask:";
  // Time allowed to connect. Must be > 0.
  absl::Duration connect_timeout = absl::Seconds(2);
  // Time allowed for one command's reply. Must be > 0. A write whose reply
  // does not arrive in time is kUnknown.
  absl::Duration io_timeout = absl::Seconds(10);

  // Parses `redis://[user:password@]host[:port][/db][?prefix=P
  // &connect_timeout_ms=N&timeout_ms=N]`. kInvalidArgument on anything
  // else (the message says what is wrong).
  static absl::StatusOr<RedisOptions> FromUri(std::string_view uri);
};

// Connects (kUnavailable when the server cannot be reached) and returns the
// store. kInvalidArgument for bad options.
absl::StatusOr<std::unique_ptr<Driver>> OpenRedisStore(RedisOptions options);

// FromUri, then OpenRedisStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenRedisStoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_REDIS_REDIS_STORE_H_
