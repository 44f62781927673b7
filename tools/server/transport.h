// What Server needs from an HTTP transport. Each transport is started by
// one function (StartBeastTransport, StartEvhttpTransport) that binds and
// starts its loops; both serve the same Router and ChangeHub, so the
// protocol is coded once and the transport can be chosen
// (ServerOptions::transport) and measured on the same handlers.
//
// Thread safety: port, Shutdown and Wait from any thread.
#ifndef CASK_TOOLS_SERVER_TRANSPORT_H_
#define CASK_TOOLS_SERVER_TRANSPORT_H_

namespace cask::server {

class Transport {
 public:
  // Shuts down and waits, as Shutdown then Wait.
  virtual ~Transport() = default;
  // The bound port.
  virtual int port() const = 0;
  // Stops accepting; requests in flight are answered, then every
  // connection closes. Returns at once.
  virtual void Shutdown() = 0;
  // Blocks until every loop has stopped.
  virtual void Wait() = 0;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_TRANSPORT_H_
