// The routes of `cask serve` (docs/protocol.md): authentication, then
//   GET / HEAD   /key      value / metadata (conditional: 304, 412)
//   GET          /base/    key listing, paged with ?limit=&after= and
//                          streamed (listing.h); HEAD /base/: capability
//                          probe
//   PUT          /key      write, CAS with If-Match / If-None-Match
//   DELETE       /key      remove (CAS);  DELETE /base/: clear
//   POST  /_cask/commit    atomic batch
//   POST  /_cask/changes   change feed (long poll, key-prefix filter)
//   POST  /_cask/sync/conflicts, /_cask/sync/resolve   sync conflicts
// over any Driver. Every answer carries the capability headers.
//
// Thread safety: Handle and Poll may be called from many threads at once;
// they call the store directly, so a transport calls them off its event
// loop when the store may block.
#ifndef CASK_TOOLS_SERVER_ROUTER_H_
#define CASK_TOOLS_SERVER_ROUTER_H_

#include <memory>
#include <string>

#include "api.h"
#include "cask/driver.h"
#include "feed_json.h"
#include "server.h"

namespace cask::server {

class Router {
 public:
  // REQUIRES: `options` normalised by Server::Start.
  Router(std::shared_ptr<Driver> store, const ServerOptions& options);

  // Answers `request`, or (POST /_cask/changes with nothing to report yet
  // and a `wait`) returns a LongPoll for the transport to park.
  RouteResult Handle(const ApiRequest& request);

  // Re-reads the feed for a parked poll. `final`: the wait is over, answer
  // even when nothing matched. Otherwise returns another LongPoll (with a
  // later `after`) while nothing under its prefix has happened.
  RouteResult Poll(const LongPoll& poll, bool final);

  // An error answer with the capability headers (also for errors the
  // transport detects itself: 400, 408, 413, 431, 503).
  ApiResponse Error(const absl::Status& status, int http_status = 0) const;

  Driver& store() const { return *store_; }

 private:
  ApiResponse Dispatch(const ApiRequest& request);
  ApiResponse Get(const ApiRequest& request, bool head);
  ApiResponse Put(const ApiRequest& request);
  ApiResponse Delete(const ApiRequest& request);
  RouteResult Post(const ApiRequest& request);
  ApiResponse Commit(const ApiRequest& request);
  // POST /_cask/sync/conflicts or /_cask/sync/resolve (sync_routes.h).
  ApiResponse SyncRoute(const ApiRequest& request, bool resolve);
  RouteResult Changes(const ApiRequest& request);
  RouteResult ReadFeed(const LongPoll& poll, bool final);
  void AttachValues(std::uint64_t up_to, http_protocol::Feed& feed);
  // An error answer without the capability headers (Handle adds them).
  ApiResponse Fail(const absl::Status& status, int http_status = 0) const;
  std::optional<ApiResponse> Authenticate(const ApiRequest& request) const;
  void AddCapabilityHeaders(ApiResponse& response) const;

  std::shared_ptr<Driver> store_;
  const ServerOptions& options_;
  std::string cas_header_, features_header_, max_value_header_;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_ROUTER_H_
