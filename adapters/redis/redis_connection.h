// One hiredis connection with cask's failure semantics: it knows whether a
// failed command reached the socket (kUnavailable vs kUnknown, see
// redis_errors.h), reconnects lazily, and runs the adapter's Lua scripts
// by EVALSHA with an EVAL fallback. Internal to adapters/redis; not
// thread-safe (the store serialises access).
#ifndef CASK_ADAPTERS_REDIS_REDIS_CONNECTION_H_
#define CASK_ADAPTERS_REDIS_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "redis_store.h"

namespace cask::redis_internal {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// Whether a command may have changed data: decides kUnavailable vs kUnknown
// when its reply is lost.
enum class Access { kRead, kWrite };

// A Lua script the adapter runs; its SHA1 is learnt with SCRIPT LOAD when a
// connection is made.
struct Script {
  std::string name;  // for messages
  std::string body;
};

class RedisConnection {
 public:
  RedisConnection(RedisOptions options, std::vector<Script> scripts);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now unless a healthy connection exists. kUnavailable when the
  // server cannot be reached.
  absl::Status Connect();

  // Runs one command. A Redis error reply comes back as a status
  // (ReplyError); nil, integer, string and array replies as the Reply.
  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& args,
                                Access access, std::string_view what);

  // Runs scripts_[index] with `keys` and `args` (EVALSHA; EVAL when the
  // server lost the script).
  absl::StatusOr<Reply> Eval(std::size_t index,
                             const std::vector<std::string>& keys,
                             const std::vector<std::string>& args,
                             Access access, std::string_view what);

 private:
  // True when the socket is open and the peer has not closed it.
  bool Healthy() const;
  void Drop();
  absl::StatusOr<Reply> Send(const std::vector<std::string_view>& args,
                             Access access, std::string_view what);

  const RedisOptions options_;
  const std::vector<Script> scripts_;
  std::vector<std::string> shas_;
  redisContext* context_ = nullptr;
};

}  // namespace cask::redis_internal

#endif  // CASK_ADAPTERS_REDIS_REDIS_CONNECTION_H_
