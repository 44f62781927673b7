// HTTP/1.1 over libevent's evhttp for `cask serve`, the second transport
// measured against Boost.Beast (docs/protocol.md, "Transport"): one
// event_base and one evhttp per thread, all accepting from one listening
// socket. evhttp parses requests and frames answers; this file maps them to
// the Router and back, and refuses framing evhttp lets through (several
// Content-Length fields, a length that is not plain digits, Content-Length
// with Transfer-Encoding) with 400 and a close.
//
// What evhttp 2.1 (Debian 12) cannot do, and why Beast stays the default:
// its timeouts are per read, so a client that trickles one byte at a time
// is never cut off (no deadline for a whole request head); it has no
// connection limit and no hook to count connections; over-long headers are
// 413, not 431; requests it refuses get libevent's HTML error page; and
// the budget of request-body bytes held at once is not enforced (only the
// per-request body limit).
//
// Thread safety: as Transport.
#ifndef CASK_TOOLS_SERVER_EVHTTP_TRANSPORT_H_
#define CASK_TOOLS_SERVER_EVHTTP_TRANSPORT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "change_hub.h"
#include "router.h"
#include "server.h"
#include "transport.h"

namespace cask::server {

// Binds and starts the loops; destroying the transport shuts it down and
// waits. `inline_store`: call the router on the loop (the store never
// blocks). kUnavailable when the address cannot be bound. kInternal when an
// event loop cannot be created. REQUIRES: router, hub and options outlive the
// transport.
absl::StatusOr<std::unique_ptr<Transport>> StartEvhttpTransport(
    Router* router, ChangeHub* hub, const ServerOptions& options,
    bool inline_store);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_EVHTTP_TRANSPORT_H_
