// cask serve: any Driver over HTTP with unstorage's wire protocol plus CAS
// (If-Match / If-None-Match on PUT and DELETE), an atomic commit endpoint
// and a change feed. docs/protocol.md describes every route, header and
// status; tools/server/wire.h holds the parsing rules.
//
// Every response carries `X-Cask-CAS: 1` when the store evaluates
// preconditions atomically (`0` otherwise) and `X-Cask-Features` (a
// comma-separated subset of `cas, commit, ttl, changes`), so that a client
// can refuse to send a precondition to a server that would ignore it.
//
// Built on Boost.Beast over Asio by default (docs/protocol.md says why;
// libevent's evhttp is the measured alternative): one event loop per core; a
// store that answers from memory is called inline on the loop, any other store
// on a small pool so that a slow backend never stalls the loop. Every limit
// below is also a flag of `cask serve`.
//
// Thread safety: Start, port, Shutdown and Wait may be called from any
// thread; Shutdown is idempotent.
#ifndef CASK_TOOLS_SERVER_SERVER_H_
#define CASK_TOOLS_SERVER_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask::server {

// The HTTP library under the routes (docs/protocol.md, "Transport").
enum class TransportKind {
  // Boost.Beast over Asio: the default, and the one with every limit below.
  kBeast,
  // libevent's evhttp: measured against Beast; lacks the header deadline,
  // the connection limit and the body budget (evhttp_transport.h).
  kEvhttp,
};

struct ServerOptions {
  // Address to bind. The default serves this machine only; anything else
  // exposes the store to the network (use a token).
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free port (read it back with Server::port()).
  int port = 8787;
  // Bearer token every request must carry (`Authorization: Bearer T`);
  // "" disables authentication. Missing: 401; wrong: 403.
  std::string token;

  // Limits. A request over one is refused with a JSON error naming it.
  // Longest key, in bytes after normalisation (400). At most
  // cask::kMaxKeyBytes; 0 means kMaxKeyBytes.
  std::size_t max_key_bytes = 1024;
  // Total size of the request line and headers, in bytes (431).
  std::size_t max_header_bytes = 16 * 1024;
  // Largest request body, in bytes (413); 0 means 64 MiB.
  std::size_t max_body_bytes = 64u << 20;

  TransportKind transport = TransportKind::kBeast;
  // Event-loop threads; 0 means one per core.
  std::size_t io_threads = 0;
  // Threads that call a store which may block (anything but the memory
  // store); 0 means 16. Requests beyond them queue (bounded by the
  // connection limit).
  std::size_t store_threads = 16;

  // Open connections at most; one more is answered 503 and closed.
  // 0 means 10000.
  std::size_t max_connections = 10000;
  // Pending connections the kernel queues before accept (listen backlog;
  // the kernel caps it at net.core.somaxconn). 0 means 4096.
  int listen_backlog = 4096;
  // An idle keep-alive connection is closed after this many seconds.
  int keep_alive_seconds = 5;
  // A request line and headers must arrive within this many seconds of
  // their first byte, or the connection is closed (slow-header clients).
  int header_timeout_seconds = 10;
  // A request body must keep arriving: a gap longer than this many seconds
  // closes the connection, and so does an average rate under
  // min_body_bytes_per_second once the body has taken this long.
  int body_timeout_seconds = 10;
  // See body_timeout_seconds; 0 disables the rate check.
  std::size_t min_body_bytes_per_second = 1024;
  // An answer the client does not read within this many seconds closes the
  // connection.
  int write_timeout_seconds = 30;
  // Request bodies held in memory at once, over all connections, in bytes.
  // A request whose body would exceed it is answered 503 with Retry-After
  // and the connection is closed. 0 means 256 MiB; never below
  // max_body_bytes.
  std::size_t max_inflight_body_bytes = 256u << 20;
  // Change-feed long polls waiting at once; one more is answered 503 with
  // Retry-After. 0 means 1024.
  std::size_t max_long_polls = 1024;
  // Longest long-poll wait of the change feed, in milliseconds.
  int max_wait_ms = 30000;

  // Install SIGTERM / SIGINT handlers that call Shutdown() on every running
  // Server (the process keeps running until its owner returns from Wait()).
  bool handle_signals = false;
};

class Server {
 public:
  // Binds and starts serving `store` on background threads. kInvalidArgument
  // for bad options; kUnavailable when the address cannot be bound.
  // REQUIRES: store != nullptr.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      std::shared_ptr<Driver> store, ServerOptions options);

  // Shuts down and waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port.
  int port() const;
  // `http://host:port`.
  std::string url() const;

  // Stops accepting connections, lets every request in flight finish and
  // answer (a write acknowledged to a client is in the store), then closes
  // the connections. Returns at once; Wait() blocks until done.
  void Shutdown();
  // Blocks until the server has stopped (after Shutdown or a signal).
  void Wait();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_SERVER_H_
