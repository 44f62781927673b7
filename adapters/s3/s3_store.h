// s3: a store kept in an S3 bucket (AWS S3, or an S3-compatible service that
// honours conditional writes: R2, MinIO, moto), through libcurl with its
// built-in AWS SigV4 signing.
//
// Layout: key "a:b:c" is the object <prefix>/a/b/c (':' becomes '/', so the
// bucket browses like a tree; keys cannot contain '/', so the mapping is
// one-to-one). A store is (bucket, prefix).
//
// Etags: the object's own ETag, unquoted. On S3 that is the MD5 of the
// content (for single-part uploads), so writing the same bytes again keeps
// the etag, and an etag may come back after delete-and-recreate with the
// same content, or match the same content in another store. This is the
// documented ABA trade-off of content-hash etags: a swap guarded by an old
// etag succeeds if the content is byte-identical to what was read, which
// is harmless for content-addressed data and for CAS on values, but a
// caller that needs "nothing happened in between" must put a version or
// nonce in the value.
//
// CAS: If-Match: "E" and If-None-Match: * on PUT; If-Match on DELETE.
// S3 answers 412 for a failed condition and 404 for If-Match on a missing
// key; both are a CAS mismatch (kAborted). 409 ConditionalRequestConflict
// (a concurrent conditional write) is retried `conflict_retries` times,
// then kUnavailable. Shapes S3 cannot evaluate (if_none_match E, if_match
// *, etag lists, weak tags, both sides together, and every conditional
// delete but If-Match E) are emulated atomically: HEAD, evaluate with
// cask's shared evaluator, then write pinned to that exact state
// (If-Match: "<current>" or If-None-Match: *), re-reading when the pin
// fails (objectstore_common/conditional_write.h). Those cost one more
// round trip.
//
// Cannot: Commit (no multi-object atomicity: kUnimplemented), TTL
// (lifecycle rules are per bucket, in days), watch. Values up to
// max_value_bytes (default 5 GiB, S3's single-PUT limit) go in one PUT
// from the caller's memory (no copy); larger ones are kResourceExhausted.
// Keys: a key's object name (prefix + key) must fit S3's 1024-byte limit
// on AWS. Clear is not atomic (batched DeleteObjects of 1000).
//
// Scan (and Keys, which pages through it): ListObjectsV2 with delimiter
// '/', one level at a time, reordered into key order (names put '/' below
// the digits, keys put ':' above them; objectstore_common/
// key_order_walk.h); metadata from the listing, values by one GET each. A
// page is not a snapshot.
//
// Cross-process: yes (the bucket is the only state). Thread-safe.
#ifndef CASK_ADAPTERS_S3_S3_STORE_H_
#define CASK_ADAPTERS_S3_S3_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

struct S3Options {
  std::string bucket;  // required
  // Object-name prefix of this store without leading or trailing '/';
  // "" = the whole bucket.
  std::string prefix;
  // Service URL, e.g. "http://127.0.0.1:15000". "" = AWS,
  // https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  // Path-style URLs (endpoint/bucket/key) instead of virtual-host ones
  // (bucket.endpoint/key). Default: path style when `endpoint` is set.
  bool path_style = true;
  // Credentials; FromUri defaults them to AWS_ACCESS_KEY_ID,
  // AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  // Create the bucket when the store is opened (OK if it exists).
  bool create_bucket = false;
  // Retries of a 409 ConditionalRequestConflict (and of a lost pin in an
  // emulated precondition) before kUnavailable; 0 means no retry.
  int conflict_retries = 8;
  // Largest value, in bytes; 0 means S3's single-PUT limit (5 GiB).
  std::uint64_t max_value_bytes = 0;
  // TCP connect timeout; zero means libcurl's default.
  absl::Duration connect_timeout = absl::Seconds(10);

  // s3://bucket[/prefix]?endpoint=URL&region=R&path_style=0|1
  //   &access_key=..&secret_key=..&session_token=..&create_bucket=0|1
  //   &conflict_retries=N&max_value_bytes=N
  // kInvalidArgument for a bad URI, a missing bucket or missing
  // credentials.
  static absl::StatusOr<S3Options> FromUri(std::string_view uri);
};

// A client of the store described by `options`. Contacts the service only
// when create_bucket is set (kUnavailable if it cannot be reached).
absl::StatusOr<std::unique_ptr<Driver>> CreateS3Store(S3Options options);

// FromUri + CreateS3Store; the "s3" row of cask::OpenStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenS3StoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_S3_S3_STORE_H_
