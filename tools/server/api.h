// The transport-neutral form of one request and its answer: the router
// (router.h) speaks only this, so the HTTP library underneath can change.
//
// Thread safety: plain values.
#ifndef CASK_TOOLS_SERVER_API_H_
#define CASK_TOOLS_SERVER_API_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "body_stream.h"

namespace cask::server {

struct ApiRequest {
  std::string_view method;  // "GET", ...
  std::string_view target;  // as on the request line
  // Every value of header `name` (case-insensitive) joined with ", ";
  // nullopt when absent.
  std::function<std::optional<std::string>(std::string_view name)> header;
  std::string_view body;
};

struct ApiResponse {
  int status = 200;
  // Header names point at string constants.
  std::vector<std::pair<std::string_view, std::string>> headers;
  std::string body;
  std::string_view content_type;  // "" sends none
  // For HEAD: the Content-Length the GET would have (no body is sent).
  std::optional<std::uint64_t> head_length;
  // Close the connection after this answer.
  bool close = false;
  // When set, `body` is only the first piece of the body and the rest
  // comes from here; the length is unknown in advance (chunked encoding).
  std::shared_ptr<BodyStream> stream;
};

// A change-feed request that found nothing yet and may wait.
struct LongPoll {
  std::uint64_t after = 0;
  std::size_t limit = 0;
  std::string prefix;  // a normalised base; "" = every key
  std::uint64_t wait_ms = 0;
  // Put events carry the value when it is at most this many bytes and
  // still the key's current one (0: never), so a replica pulls a page
  // without a GET per key.
  std::uint64_t values_up_to = 0;
};

// What the router decided: an answer, or a long poll to park.
struct RouteResult {
  ApiResponse response;
  std::optional<LongPoll> poll;
};

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_API_H_
