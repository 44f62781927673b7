#include "redis_connection.h"

#include <hiredis/sds.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "redis_errors.h"

namespace cask::redis_internal {
namespace {

std::string ContextError(const redisContext* c) {
  if (c == nullptr) return "cannot allocate a redis context";
  return c->errstr[0] != '\0' ? std::string(c->errstr) : "connection error";
}

}  // namespace

RedisConnection::RedisConnection(RedisOptions options,
                                 std::vector<Script> scripts)
    : options_(std::move(options)), scripts_(std::move(scripts)) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  shas_.clear();
}

bool RedisConnection::Healthy() const {
  if (context_ == nullptr || context_->err != 0 || context_->fd < 0) {
    return false;
  }
  // No reply is ever pending between commands, so a readable socket means
  // the server closed it (or sent an error before closing).
  pollfd p{context_->fd, POLLIN | POLLRDHUP, 0};
  int n = poll(&p, 1, 0);
  if (n < 0) return false;
  if (n == 0) return true;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return false;
  char byte;
  return recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

absl::Status RedisConnection::Connect() {
  if (Healthy()) return absl::OkStatus();
  Drop();
  std::string address = absl::StrCat(options_.host, ":", options_.port);
  std::string host = options_.host;
  // redisConnect takes IPv6 literals without brackets.
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  context_ = redisConnectWithTimeout(host.c_str(), options_.port,
                                     absl::ToTimeval(options_.connect_timeout));
  if (context_ == nullptr || context_->err != 0) {
    absl::Status s = ConnectError(address, ContextError(context_));
    Drop();
    return s;
  }
  if (redisSetTimeout(context_, absl::ToTimeval(options_.io_timeout)) !=
      REDIS_OK) {
    absl::Status s = ConnectError(address, ContextError(context_));
    Drop();
    return s;
  }
  // Setup commands change nothing, so any failure here is kUnavailable.
  auto setup = [&](const std::vector<std::string_view>& args,
                   std::string_view what) -> absl::StatusOr<Reply> {
    absl::StatusOr<Reply> r = Send(args, Access::kRead, what);
    if (!r.ok()) {
      Drop();
      if (r.status().code() == absl::StatusCode::kUnavailable) {
        return ConnectError(address, ToStd(r.status().message()));
      }
    }
    return r;
  };
  if (!options_.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!options_.user.empty()) auth.push_back(options_.user);
    auth.push_back(options_.password);
    if (absl::StatusOr<Reply> r = setup(auth, "AUTH"); !r.ok()) {
      return r.status();
    }
  }
  if (options_.db != 0) {
    std::string db = absl::StrCat(options_.db);
    if (absl::StatusOr<Reply> r = setup({"SELECT", db}, "SELECT"); !r.ok()) {
      return r.status();
    }
  }
  std::vector<std::string> shas;
  for (const Script& script : scripts_) {
    absl::StatusOr<Reply> r =
        setup({"SCRIPT", "LOAD", script.body}, "SCRIPT LOAD");
    if (!r.ok()) return r.status();
    if ((*r)->type != REDIS_REPLY_STRING) {
      Drop();
      return absl::InternalError("redis: SCRIPT LOAD returned no sha");
    }
    shas.emplace_back((*r)->str, (*r)->len);
  }
  shas_ = std::move(shas);
  return absl::OkStatus();
}

absl::StatusOr<Reply> RedisConnection::Send(
    const std::vector<std::string_view>& args, Access access,
    std::string_view what) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  const bool is_write = access == Access::kWrite;
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                             argv.data(), lens.data()) != REDIS_OK) {
    std::string detail = ContextError(context_);
    Drop();
    return IoError(what, detail, Phase::kNotSent, is_write);
  }
  // Write by hand so that a failure can tell whether any byte left.
  const size_t total = sdslen(context_->obuf);
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      bool untouched =
          context_->obuf != nullptr && sdslen(context_->obuf) == total;
      std::string detail = ContextError(context_);
      Drop();
      return IoError(what, detail, untouched ? Phase::kNotSent : Phase::kSent,
                     is_write);
    }
  }
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    std::string detail = ContextError(context_);
    Drop();
    return IoError(what, detail, Phase::kSent, is_write);
  }
  Reply reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) {
    return ReplyError(what, std::string_view(reply->str, reply->len));
  }
  return reply;
}

absl::StatusOr<Reply> RedisConnection::Command(
    const std::vector<std::string_view>& args, Access access,
    std::string_view what) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  return Send(args, access, what);
}

absl::StatusOr<Reply> RedisConnection::Eval(
    std::size_t index, const std::vector<std::string>& keys,
    const std::vector<std::string>& args, Access access,
    std::string_view what) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  std::string nkeys = absl::StrCat(keys.size());
  std::vector<std::string_view> argv{"EVALSHA", shas_[index], nkeys};
  for (const std::string& k : keys) argv.push_back(k);
  for (const std::string& a : args) argv.push_back(a);
  absl::StatusOr<Reply> r = Send(argv, access, what);
  if (r.ok() || !IsNoScript(r.status())) return r;
  // SCRIPT FLUSH ran since we connected; the script did not run.
  argv[0] = "EVAL";
  argv[1] = scripts_[index].body;
  return Send(argv, access, what);
}

}  // namespace cask::redis_internal
