// A response body produced piece by piece (api.h's ApiResponse::stream).
//
// Thread safety: see BodyStream.
#ifndef CASK_TOOLS_SERVER_BODY_STREAM_H_
#define CASK_TOOLS_SERVER_BODY_STREAM_H_

#include <string>

#include "absl/status/statusor.h"

namespace cask::server {

// The rest of a body too large to hold at once (a long key listing),
// produced piece by piece while the transport sends it: the transport asks
// for the next piece only once the previous one is written, so one piece
// per connection is in memory whatever the body's size.
//
// Thread safety: one call at a time; Next may call the store, so a
// transport calls it where it calls Router::Handle.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Replaces `piece` with the next part of the body (possibly empty).
  // Returns true while more may follow, false once `piece` was the last.
  // An error ends the body unfinished: the transport closes the connection
  // without completing the answer, so the client sees it was cut.
  virtual absl::StatusOr<bool> Next(std::string& piece) = 0;
};

// Appends the rest of `stream` to `body`: for a transport that does not
// stream (evhttp, an HTTP/1.0 client). On an error the body is incomplete
// and must not be sent.
absl::Status DrainBodyStream(BodyStream& stream, std::string& body);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_BODY_STREAM_H_
