// http: a client of `cask serve` (or of any server speaking unstorage's
// HTTP protocol), over the shared libcurl transport
// (adapters/http_transport). The protocol itself — header names, etag
// quoting, precondition headers, capability headers, metadata headers, the
// feed JSON and the error body → status mapping — is coded once, in
// adapters/http_protocol, shared with the server.
//
// Etags: the server's (`ETag` response header, unquoted here); they are
// whatever the store behind the server makes, so the no-reuse and
// cross-store guarantees are that store's. A server that sends no ETag
// (unstorage's own node server) yields empty etags.
//
// CAS: preconditions travel as If-Match / If-None-Match on PUT and DELETE
// and are evaluated atomically by the server; 412 is a CAS mismatch
// (kAborted, carrying the current etag the server reports), 501 CAS
// unsupported. Negotiation: a precondition is only ever sent to a server
// that advertises `X-Cask-CAS: 1`. The adapter probes the server once
// (HEAD on the base URL) and caches the answer; against a server that does
// not advertise CAS, every precondition, batch and ttl is refused with
// kUnimplemented before anything is sent, so an old server can never
// silently overwrite. The answer is forgotten after a connection failure
// (re-probed before the next precondition), and a conditional write
// answered without `X-Cask-CAS: 1` (the server was replaced since the
// probe) is reported as kUnknown, never as success. Commit uses POST
// /_cask/commit, Changes and Watch POST /_cask/changes (long-poll), when the
// server advertises them.
//
// Errors: connection refused / no answer before the request was sent is
// kUnavailable; a connection lost after a write was sent is kUnknown ("the
// outcome is unknown"). A write is never sent twice, neither by the
// adapter nor by libcurl: the shared transport (adapters/http_transport)
// refuses libcurl's re-send of a request whose kept-alive connection died
// unanswered and reports kUnknown instead, so a conditional write cannot
// apply twice nor report a false mismatch against its own first copy. The
// server's JSON error body names the absl code, which is returned as is.
//
// Scans: the server's paged listing with metadata (docs/protocol.md,
// "Listings"), at most 1000 entries per request (100 with values); a
// server that does not advertise it (unstorage's own) makes Scan
// kUnimplemented. Keys uses the plain listing, which every server has.
//
// Reads: a Get of a key read before sends `If-None-Match: "<etag>"`; a
// server that answers 304 Not Modified saves sending the value again, and
// the adapter returns the value it kept (never without that confirmation,
// so never stale). A server without conditional GET answers 200 as usual.
//
// Cross-process: yes (each client is independent; the server serialises).
// Thread-safe: a pool of connections, one per concurrent call, reused.
#ifndef CASK_ADAPTERS_HTTP_HTTP_STORE_H_
#define CASK_ADAPTERS_HTTP_HTTP_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

struct HttpOptions {
  // Base URL of the server, e.g. "http://127.0.0.1:8787" or
  // "https://host/prefix"; keys are appended as path segments.
  std::string base_url;
  // Sent as "Authorization: Bearer <token>"; "" sends none.
  std::string token;
  // Connect timeout, in milliseconds; 0 means libcurl's default (300 s).
  long connect_timeout_ms = 5000;
  // Whole-request timeout, in milliseconds; 0 means none. A timed-out
  // write is kUnknown (outcome unknown).
  long request_timeout_ms = 60000;
  // Most idle connections kept for reuse.
  int max_idle_connections = 16;
  // Bytes of values kept for conditional GET (revalidated with
  // If-None-Match; a 304 answer returns the kept value); 0 disables it.
  // A value over 1/8 of this is not kept.
  std::size_t revalidation_cache_bytes = 8 << 20;

  // From `http://host:port/prefix?token=T&connect_timeout_ms=N&
  // timeout_ms=N&cache_bytes=N` (https likewise). kInvalidArgument for a
  // malformed URI or another scheme.
  static absl::StatusOr<HttpOptions> FromUri(std::string_view uri);
};

// Creates a client. Does not contact the server: the capability probe
// runs at the first call that needs it.
absl::StatusOr<std::unique_ptr<Driver>> CreateHttpStore(HttpOptions options);

// OpenStore's entry for http:// and https:// URIs.
absl::StatusOr<std::unique_ptr<Driver>> OpenHttpStoreUri(std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_HTTP_HTTP_STORE_H_
