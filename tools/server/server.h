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
// Built on cpp-httplib (Debian's libcpp-httplib): one worker thread per
// open connection, taken from a pool of ServerOptions::threads.
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
  // Total size of the request line and headers, in bytes (431). cpp-httplib
  // also refuses any single header line over 8192 bytes (400).
  std::size_t max_header_bytes = 16 * 1024;
  // Largest request body, in bytes (413); 0 means 64 MiB.
  std::size_t max_body_bytes = 64u << 20;

  // Worker threads. Each open connection holds one while it is open (idle
  // keep-alive connections are closed after keep_alive_seconds), so this is
  // also the number of clients served at the same time; others wait in the
  // accept queue. 0 means 64.
  std::size_t threads = 64;
  // Idle keep-alive connections are closed after this many seconds.
  int keep_alive_seconds = 5;
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
