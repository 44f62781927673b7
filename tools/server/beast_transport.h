// HTTP/1.1 over Boost.Beast and Asio for `cask serve`: one io_context (event
// loop) per thread, connections spread over them round-robin by one
// acceptor. Beast parses requests (strictly: RFC 9112 framing); this file
// adds what a server facing the internet needs around the parser:
//   - a connection limit (503 past it) and a large listen backlog;
//   - deadlines per connection state: idle keep-alive, request headers
//     (counted from their first byte), request body (longest gap, minimum
//     average rate) and writing the answer — checked by a one-second
//     sweep per loop instead of a timer per read;
//   - a budget of request-body bytes held at once (503 + Retry-After past
//     it), reserved from Content-Length before the body is read and
//     returned before the answer is written;
//   - closing in stages after refusing a request whose body was not read
//     (the rest is read and dropped for a while), so that the client reads
//     the refusal instead of a reset;
//   - refusal of ambiguous framing Beast would accept: several
//     Content-Length fields, a Transfer-Encoding other than chunked.
// A store that may block runs on a small pool; the loop never waits on it.
//
// Thread safety: as Transport.
#ifndef CASK_TOOLS_SERVER_BEAST_TRANSPORT_H_
#define CASK_TOOLS_SERVER_BEAST_TRANSPORT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "change_hub.h"
#include "router.h"
#include "server.h"
#include "transport.h"

namespace cask::server {

// Binds and starts the loops; destroying the transport shuts it down and
// waits. `inline_store`: call the router on the loop (the store never
// blocks). kUnavailable when the address cannot be bound.
// REQUIRES: router, hub and options outlive the transport.
absl::StatusOr<std::unique_ptr<Transport>> StartBeastTransport(
    Router* router, ChangeHub* hub, const ServerOptions& options,
    bool inline_store);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_BEAST_TRANSPORT_H_
