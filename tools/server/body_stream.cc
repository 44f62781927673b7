#include "body_stream.h"

namespace cask::server {

absl::Status DrainBodyStream(BodyStream& stream, std::string& body) {
  std::string piece;
  for (bool more = true; more;) {
    absl::StatusOr<bool> next = stream.Next(piece);
    if (!next.ok()) return next.status();
    body.append(piece);
    more = *next;
  }
  return absl::OkStatus();
}

}  // namespace cask::server
