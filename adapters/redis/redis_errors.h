// The one place where the redis adapter turns Redis and hiredis failures
// into cask status codes (docs/errors.md). Internal to adapters/redis.
#ifndef CASK_ADAPTERS_REDIS_REDIS_ERRORS_H_
#define CASK_ADAPTERS_REDIS_REDIS_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cask::redis_internal {

// Where a command was when its connection failed.
enum class Phase {
  kNotSent,  // nothing reached the socket: the server cannot have applied it
  kSent,     // the command (or part of it) was sent; its reply was lost
};

// Connecting (or the setup commands of a new connection) failed:
// kUnavailable, with hiredis's text.
absl::Status ConnectError(std::string_view address, std::string_view detail);

// The connection failed while running `what`. kUnavailable when nothing was
// sent or when `what` only reads; kUnknown ("outcome unknown") when a write
// was sent and its reply lost.
absl::Status IoError(std::string_view what, std::string_view detail,
                     Phase phase, bool is_write);

// Redis answered `what` with an error reply `text` ("ERR ...", "OOM ...").
absl::Status ReplyError(std::string_view what, std::string_view text);

// True when `status` (from ReplyError) is the NOSCRIPT error: EVALSHA of a
// script the server does not have. The script did not run; EVAL it instead.
bool IsNoScript(const absl::Status& status);

}  // namespace cask::redis_internal

#endif  // CASK_ADAPTERS_REDIS_REDIS_ERRORS_H_
