#include "server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cask/key.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "wire.h"

namespace cask::server {

using Json = nlohmann::json;

namespace {

constexpr std::string_view kCommitPath = "/_cask/commit";
constexpr std::string_view kChangesPath = "/_cask/changes";

std::string DumpJson(const Json& j) {
  // Keys and values are bytes; JSON text must be UTF-8. Invalid sequences
  // are replaced (documented in docs/protocol.md).
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

std::optional<std::string_view> Header(const httplib::Request& req,
                                       const char* name, std::string& storage) {
  std::size_t n = req.get_header_value_count(name);
  if (n == 0) return std::nullopt;
  storage.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) storage.append(", ");
    storage.append(req.get_header_value(name, i));
  }
  return std::string_view(storage);
}

// Writes `status` as the JSON error body unstorage's server (h3) sends,
// plus cask's own `code` naming the absl code.
void SendError(httplib::Response& res, const absl::Status& status,
               int http_status = 0) {
  if (http_status == 0) http_status = HttpStatusFor(status);
  Json body = {{"status", http_status},
               {"statusCode", http_status},
               {"statusMessage", std::string(ReasonPhrase(http_status))},
               {"message", std::string(status.message())},
               {"code", absl::StatusCodeToString(status.code())}};
  if (status.code() == absl::StatusCode::kAborted) {
    std::vector<Conflict> conflicts = Conflicts(status);
    std::optional<std::string> current = CurrentEtag(status);
    body["current_etag"] = current ? Json(*current) : Json(nullptr);
    if (current) res.set_header("X-Cask-Current-ETag", QuoteEtag(*current));
    Json list = Json::array();
    for (const Conflict& c : conflicts) {
      list.push_back({{"key", c.key},
                      {"expected", c.expected},
                      {"actual", c.actual ? Json(*c.actual) : Json(nullptr)}});
    }
    body["conflicts"] = std::move(list);
  }
  res.status = http_status;
  res.set_content(DumpJson(body), "application/json");
}

void SendOk(httplib::Response& res) {
  res.status = 200;
  res.set_content("OK", "text/plain; charset=utf-8");
}

void SetMetaHeaders(httplib::Response& res, const Meta& meta) {
  res.set_header("ETag", QuoteEtag(meta.etag));
  res.set_header("Last-Modified", HttpDate(meta.mtime));
  res.set_header("X-Cask-Mtime", absl::StrCat(absl::ToUnixMicros(meta.mtime)));
  res.set_header("X-Cask-Size", absl::StrCat(meta.size));
  if (meta.revision != 0) {
    res.set_header("X-Cask-Revision", absl::StrCat(meta.revision));
  }
  if (meta.expires) {
    absl::Duration left = *meta.expires - absl::Now();
    std::int64_t seconds = std::max<std::int64_t>(
        0, absl::ToInt64Seconds(absl::Ceil(left, absl::Seconds(1))));
    res.set_header("X-TTL", absl::StrCat(seconds));
    res.set_header("Cache-Control", absl::StrCat("max-age=", seconds));
    res.set_header("X-Cask-Expires",
                   absl::StrCat(absl::ToUnixMicros(*meta.expires)));
  }
}

// x-ttl: seconds, decimals allowed ("1.5"); absent, empty or 0: no ttl.
absl::StatusOr<absl::Duration> ParseTtl(const httplib::Request& req) {
  if (!req.has_header("X-TTL")) return absl::ZeroDuration();
  std::string text(absl::StripAsciiWhitespace(req.get_header_value("X-TTL")));
  if (text.empty()) return absl::ZeroDuration();
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds >= 0) || seconds > 1e10) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed X-TTL header \"", text,
                     "\": expected a non-negative number of seconds"));
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<std::vector<std::string>> JsonEtags(const Json& op,
                                                   const char* field) {
  const Json& v = op.at(field);
  std::vector<std::string> tags;
  if (v.is_string()) {
    tags.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const Json& t : v) {
      if (!t.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", field, "\" must hold strings"));
      }
      tags.push_back(t.get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", field, "\" must be a string or an array"));
  }
  return tags;
}

// Parses the commit body (docs/protocol.md) into a Batch.
absl::StatusOr<Batch> ParseBatch(const std::string& body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("ops") ||
      !doc["ops"].is_array()) {
    return absl::InvalidArgumentError(
        "commit body must be a JSON object {\"ops\": [...]}");
  }
  Batch batch;
  for (const Json& op : doc["ops"]) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() ||
        !op.contains("key") || !op["key"].is_string()) {
      return absl::InvalidArgumentError(
          "each commit op needs string fields \"op\" and \"key\"");
    }
    Precondition p;
    for (const char* side : {"if_match", "if_none_match"}) {
      if (!op.contains(side) || op[side].is_null()) continue;
      absl::StatusOr<std::vector<std::string>> tags = JsonEtags(op, side);
      if (!tags.ok()) return tags.status();
      (std::string_view(side) == "if_match" ? p.if_match : p.if_none_match) =
          *std::move(tags);
    }
    std::string kind = op["op"].get<std::string>();
    std::string key = op["key"].get<std::string>();
    if (kind == "put") {
      std::string value;
      if (op.contains("value_base64")) {
        if (!op["value_base64"].is_string() ||
            !absl::Base64Unescape(op["value_base64"].get<std::string>(),
                                  &value)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "key \"", key, "\": \"value_base64\" is not base64"));
        }
      } else if (op.contains("value") && op["value"].is_string()) {
        value = op["value"].get<std::string>();
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "put of key \"", key, "\" needs \"value\" or \"value_base64\""));
      }
      WriteOptions options;
      options.precondition = std::move(p);
      if (op.contains("ttl")) {
        if (!op["ttl"].is_number() || op["ttl"].get<double>() < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "key \"", key, "\": \"ttl\" must be a non-negative number"));
        }
        options.ttl = absl::Seconds(op["ttl"].get<double>());
      }
      batch.Put(key, value, std::move(options));
    } else if (kind == "delete") {
      batch.Delete(key, std::move(p));
    } else if (kind == "verify") {
      batch.Verify(key, std::move(p));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown commit op \"", kind, "\" (put, delete or verify)"));
    }
  }
  return batch;
}

Json EventJson(const ChangeEvent& e) {
  return {{"revision", e.revision},
          {"key", e.key},
          {"kind", std::string(ChangeKindName(e.kind))},
          {"etag", e.etag},
          {"time_us", absl::ToUnixMicros(e.time)},
          {"size", e.size}};
}

absl::StatusOr<std::uint64_t> UintParam(const httplib::Request& req,
                                        const char* name,
                                        std::uint64_t fallback) {
  if (!req.has_param(name)) return fallback;
  std::uint64_t v = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter \"", name, "\" must be an unsigned integer"));
  }
  return v;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// SIGTERM / SIGINT: the handler writes to a pipe; one watcher thread turns
// that into Shutdown() of every registered server.
struct SignalHub {
  std::mutex mu;
  std::set<Server*> servers;
  int pipe_fds[2] = {-1, -1};
  bool installed = false;

  static SignalHub& Get() {
    static SignalHub* hub = new SignalHub;
    return *hub;
  }
};

extern "C" void CaskServerSignalHandler(int) {
  int saved = errno;
  char c = 1;
  ssize_t n = write(SignalHub::Get().pipe_fds[1], &c, 1);
  (void)n;
  errno = saved;
}

}  // namespace

class Server::Impl {
 public:
  Impl(std::shared_ptr<Driver> store, ServerOptions options)
      : store_(std::move(store)), options_(std::move(options)) {
    Capabilities caps = store_->capabilities();
    cas_header_ = std::string(1, caps.cas ? '1' : '0');
    std::vector<std::string> features;
    if (caps.cas) features.push_back("cas");
    if (caps.atomic_batch) features.push_back("commit");
    if (caps.ttl) features.push_back("ttl");
    if (caps.watch) features.push_back("changes");
    features_header_ = absl::StrJoin(features, ", ");
    std::uint64_t max_value = options_.max_body_bytes;
    if (caps.max_value_bytes != 0) {
      max_value = std::min<std::uint64_t>(max_value, caps.max_value_bytes);
    }
    max_value_header_ = absl::StrCat(max_value);
  }

  absl::Status Start() {
    std::size_t threads = options_.threads;
    svr_.new_task_queue = [threads] {
      return new httplib::ThreadPool(threads);
    };
    svr_.set_keep_alive_max_count(1000000);
    svr_.set_keep_alive_timeout(options_.keep_alive_seconds);
    svr_.set_read_timeout(30, 0);
    svr_.set_write_timeout(30, 0);
    svr_.set_tcp_nodelay(true);
    svr_.set_payload_max_length(options_.max_body_bytes);
    svr_.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          return PreRoute(req, res);
        });
    // Bodies are read through a ContentReader: cpp-httplib's own reading
    // would cap form-encoded bodies at its compile-time limit and not cap
    // chunked ones at all.
    svr_.Put("[\\s\\S]*",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) {
               WithBody(req, res, reader, &Impl::HandlePut);
             });
    svr_.Post("[\\s\\S]*",
              [this](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
                WithBody(req, res, reader, &Impl::HandlePost);
              });
    svr_.set_post_routing_handler(
        [this](const httplib::Request&, httplib::Response& res) {
          res.set_header("X-Cask-CAS", cas_header_);
          res.set_header("X-Cask-Features", features_header_);
          res.set_header("X-Cask-Max-Value", max_value_header_);
        });
    // Errors cpp-httplib produces itself (400 bad request line, 413 chunked
    // body too large, 414) get the same JSON body as ours.
    svr_.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&,
           httplib::Response& res) -> httplib::Server::HandlerResponse {
          if (!res.body.empty())
            return httplib::Server::HandlerResponse::Unhandled;
          SendError(res,
                    absl::Status(res.status == 413
                                     ? absl::StatusCode::kResourceExhausted
                                     : absl::StatusCode::kInvalidArgument,
                                 ToAbsl(ReasonPhrase(res.status))),
                    res.status);
          return httplib::Server::HandlerResponse::Handled;
        }));
    if (options_.port == 0) {
      port_ = svr_.bind_to_any_port(options_.host);
      if (port_ <= 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot bind ", options_.host, " on any port"));
      }
    } else {
      if (!svr_.bind_to_port(options_.host, options_.port)) {
        return absl::UnavailableError(
            absl::StrCat("cannot bind ", options_.host, ":", options_.port,
                         " (in use, or not an address of this machine)"));
      }
      port_ = options_.port;
    }
    listener_ = std::thread([this] {
      svr_.listen_after_bind();
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      stopped_cv_.notify_all();
    });
    // listen_after_bind sets is_running; wait for it so Shutdown can't race.
    while (!svr_.is_running()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return absl::OkStatus();
  }

  void Shutdown() {
    shutting_down_ = true;
    svr_.stop();
    watch_cv_.notify_all();
  }

  void Wait() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      stopped_cv_.wait(lock, [this] { return stopped_; });
    }
    std::lock_guard<std::mutex> lock(join_mu_);
    if (listener_.joinable()) listener_.join();
  }

  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }

 private:
  using HandlerFn = void (Impl::*)(const httplib::Request&, httplib::Response&);
  using BodyHandlerFn = void (Impl::*)(const httplib::Request&,
                                       const std::string&, httplib::Response&);

  void WithBody(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader, BodyHandlerFn fn) {
    std::string body;
    bool too_large = false;
    bool ok = reader([&](const char* data, std::size_t length) {
      if (body.size() + length > options_.max_body_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, length);
      return true;
    });
    if (too_large) {
      res.set_header("Connection", "close");
      return SendError(res, absl::ResourceExhaustedError(absl::StrCat(
                                "request body is over this server's limit "
                                "of ",
                                options_.max_body_bytes, " bytes")));
    }
    if (!ok) {
      res.set_header("Connection", "close");
      return SendError(
          res, absl::InvalidArgumentError("could not read the request body"));
    }
    try {
      (this->*fn)(req, body, res);
    } catch (const std::exception& e) {
      SendError(
          res, absl::InternalError(absl::StrCat("internal error: ", e.what())));
    }
  }

  void Guarded(const httplib::Request& req, httplib::Response& res,
               HandlerFn fn) {
    try {
      (this->*fn)(req, res);
    } catch (const std::exception& e) {
      SendError(
          res, absl::InternalError(absl::StrCat("internal error: ", e.what())));
    }
  }

  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req,
                                            httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    std::size_t header_bytes =
        req.method.size() + req.target.size() + req.version.size() + 4;
    for (const auto& [name, value] : req.headers) {
      header_bytes += name.size() + value.size() + 4;
    }
    if (header_bytes > options_.max_header_bytes) {
      res.set_header("Connection", "close");
      SendError(res,
                absl::InvalidArgumentError(
                    absl::StrCat("request line and headers are ", header_bytes,
                                 " bytes, over this server's limit of ",
                                 options_.max_header_bytes, " bytes")),
                431);
      return R::Handled;
    }
    if (!options_.token.empty()) {
      std::string auth = req.get_header_value("Authorization");
      if (auth.empty()) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"cask\"");
        SendError(res,
                  absl::UnauthenticatedError(
                      "this server needs \"Authorization: Bearer <token>\""));
        return R::Handled;
      }
      constexpr std::string_view kBearer = "Bearer ";
      bool ok =
          auth.size() > kBearer.size() &&
          absl::EqualsIgnoreCase(auth.substr(0, kBearer.size()),
                                 ToAbsl(kBearer)) &&
          ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()),
                             options_.token);
      if (!ok) {
        SendError(res, absl::PermissionDeniedError("wrong bearer token"));
        return R::Handled;
      }
    }
    const std::string& m = req.method;
    if (m != "GET" && m != "HEAD" && m != "PUT" && m != "DELETE" &&
        m != "POST") {
      res.set_header("Allow", "GET, HEAD, PUT, DELETE, POST");
      SendError(
          res,
          absl::InvalidArgumentError(absl::StrCat("Method Not Allowed: ", m)),
          405);
      return R::Handled;
    }
    if (m == "PUT" || m == "POST") {
      if (req.has_header("Content-Length")) {
        std::uint64_t length = 0;
        if (absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) &&
            length > options_.max_body_bytes) {
          res.set_header("Connection", "close");
          SendError(res, absl::ResourceExhaustedError(absl::StrCat(
                             "request body is ", length,
                             " bytes, over this server's limit of ",
                             options_.max_body_bytes, " bytes")));
          return R::Handled;
        }
      }
      if (!req.has_header("Content-Length") &&
          !req.has_header("Transfer-Encoding")) {
        // RFC 9112 §6.3: no length and no chunking means no body (cpp-httplib
        // would read until the client closes).
        try {
          if (m == "PUT") {
            HandlePut(req, std::string(), res);
          } else {
            HandlePost(req, std::string(), res);
          }
        } catch (const std::exception& e) {
          SendError(res, absl::InternalError(
                             absl::StrCat("internal error: ", e.what())));
        }
        return R::Handled;
      }
      return R::Unhandled;  // cpp-httplib reads the body, then routes.
    }
    Guarded(req, res, m == "DELETE" ? &Impl::HandleDelete : &Impl::HandleGet);
    return R::Handled;
  }

  absl::StatusOr<Precondition> Preconditions(const httplib::Request& req) {
    std::string im, inm;
    return ParsePreconditionHeaders(Header(req, "If-Match", im),
                                    Header(req, "If-None-Match", inm));
  }

  void HandleGet(const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<RequestPath> path =
        ParseRequestPath(req.target, options_.max_key_bytes);
    if (!path.ok()) return SendError(res, path.status());
    bool head = req.method == "HEAD";
    if (path->is_base) {
      if (head) {  // A probe: the capability headers, nothing else.
        res.status = 200;
        return;
      }
      absl::StatusOr<std::vector<std::string>> keys = store_->Keys(path->key);
      if (!keys.ok()) return SendError(res, keys.status());
      Json list = Json::array();
      for (const std::string& key : *keys) {
        // unstorage hides its `key$` meta entries from listings.
        if (!key.empty() && key.back() == '$') continue;
        list.push_back(absl::StrReplaceAll(key, {{":", "/"}}));
      }
      res.status = 200;
      res.set_content(DumpJson(list), "application/json");
      return;
    }
    if (head) {
      absl::StatusOr<Meta> meta = store_->GetMeta(path->key);
      if (!meta.ok()) return SendError(res, meta.status());
      SetMetaHeaders(res, *meta);
      res.status = 200;
      return;
    }
    absl::StatusOr<Item> item = store_->Get(path->key);
    if (!item.ok()) return SendError(res, item.status());
    SetMetaHeaders(res, item->meta);
    res.status = 200;
    bool raw = absl::StripAsciiWhitespace(req.get_header_value("Accept")) ==
               "application/octet-stream";
    res.set_content(std::move(item->value), raw ? "application/octet-stream"
                                                : "text/plain; charset=utf-8");
  }

  void HandlePut(const httplib::Request& req, const std::string& body,
                 httplib::Response& res) {
    absl::StatusOr<RequestPath> path =
        ParseRequestPath(req.target, options_.max_key_bytes);
    if (!path.ok()) return SendError(res, path.status());
    if (path->is_base && path->key.empty()) {
      return SendError(res, absl::InvalidArgumentError("PUT needs a key"));
    }
    absl::StatusOr<Precondition> p = Preconditions(req);
    if (!p.ok()) return SendError(res, p.status());
    absl::StatusOr<absl::Duration> ttl = ParseTtl(req);
    if (!ttl.ok()) return SendError(res, ttl.status());
    WriteOptions options;
    options.precondition = *std::move(p);
    options.ttl = *ttl;
    absl::StatusOr<std::string> etag = store_->Set(path->key, body, options);
    if (!etag.ok()) return SendError(res, etag.status());
    res.set_header("ETag", QuoteEtag(*etag));
    SendOk(res);
  }

  void HandleDelete(const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<RequestPath> path =
        ParseRequestPath(req.target, options_.max_key_bytes);
    if (!path.ok()) return SendError(res, path.status());
    absl::StatusOr<Precondition> p = Preconditions(req);
    if (!p.ok()) return SendError(res, p.status());
    if (path->is_base) {
      if (!p->empty()) {
        return SendError(res, absl::InvalidArgumentError(
                                  "a clear (DELETE of a base) cannot carry "
                                  "If-Match / If-None-Match"));
      }
      if (absl::Status s = store_->Clear(path->key); !s.ok()) {
        return SendError(res, s);
      }
      return SendOk(res);
    }
    if (absl::Status s = store_->Remove(path->key, *p); !s.ok()) {
      return SendError(res, s);
    }
    SendOk(res);
  }

  void HandlePost(const httplib::Request& req, const std::string& body,
                  httplib::Response& res) {
    std::string_view target = req.target;
    target = target.substr(0, target.find('?'));
    if (target == kCommitPath) return HandleCommit(body, res);
    if (target == kChangesPath) return HandleChanges(req, res);
    res.set_header("Allow", "GET, HEAD, PUT, DELETE");
    SendError(res,
              absl::InvalidArgumentError(absl::StrCat(
                  "Method Not Allowed: POST (only ", ToAbsl(kCommitPath),
                  " and ", ToAbsl(kChangesPath), ")")),
              405);
  }

  void HandleCommit(const std::string& body, httplib::Response& res) {
    absl::StatusOr<Batch> batch = ParseBatch(body);
    if (!batch.ok()) return SendError(res, batch.status());
    absl::StatusOr<CommitResult> result = store_->Commit(*batch);
    if (!result.ok()) return SendError(res, result.status());
    Json answer = {{"etags", result->etags}, {"revision", result->revision}};
    res.status = 200;
    res.set_content(DumpJson(answer), "application/json");
  }

  // Long-poll: events after `after`; when there are none yet, waits up to
  // `wait` ms for the store to report one through Watch.
  void HandleChanges(const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<std::uint64_t> after = UintParam(req, "after", 0);
    if (!after.ok()) return SendError(res, after.status());
    absl::StatusOr<std::uint64_t> limit = UintParam(req, "limit", 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    absl::StatusOr<std::uint64_t> wait = UintParam(req, "wait", 0);
    if (!wait.ok()) return SendError(res, wait.status());
    if (*limit == 0 || *limit > 100000) *limit = 100000;
    std::uint64_t wait_ms = std::min<std::uint64_t>(
        *wait, static_cast<std::uint64_t>(std::max(0, options_.max_wait_ms)));
    absl::StatusOr<std::vector<ChangeEvent>> events =
        store_->Changes(*after, *limit);
    if (events.ok() && events->empty() && wait_ms > 0 && !shutting_down_) {
      auto woke = std::make_shared<std::atomic<bool>>(false);
      absl::StatusOr<std::unique_ptr<Subscription>> sub =
          store_->Watch("", *after, [this, woke](const ChangeEvent&) {
            woke->store(true);
            std::lock_guard<std::mutex> lock(watch_mu_);
            watch_cv_.notify_all();
          });
      if (sub.ok()) {
        std::unique_lock<std::mutex> lock(watch_mu_);
        watch_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] {
          return woke->load() || shutting_down_.load();
        });
      }
      events = store_->Changes(*after, *limit);
    }
    if (!events.ok()) return SendError(res, events.status());
    Json list = Json::array();
    std::uint64_t last = *after;
    for (const ChangeEvent& e : *events) {
      list.push_back(EventJson(e));
      last = std::max(last, e.revision);
    }
    Json body = {{"events", std::move(list)}, {"last_revision", last}};
    res.status = 200;
    res.set_content(DumpJson(body), "application/json");
  }

  std::shared_ptr<Driver> store_;
  const ServerOptions options_;
  std::string cas_header_, features_header_, max_value_header_;
  httplib::Server svr_;
  int port_ = 0;
  std::thread listener_;
  std::atomic<bool> shutting_down_{false};
  std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  std::mutex join_mu_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
};

namespace {

void InstallSignalHandlers() {
  SignalHub& hub = SignalHub::Get();
  // Called with hub.mu held.
  if (hub.installed) return;
  if (pipe(hub.pipe_fds) != 0) return;
  fcntl(hub.pipe_fds[1], F_SETFL, O_NONBLOCK);
  hub.installed = true;
  std::thread([&hub] {
    char c;
    while (read(hub.pipe_fds[0], &c, 1) >= 0 || errno == EINTR) {
      std::lock_guard<std::mutex> lock(hub.mu);
      for (Server* s : hub.servers) s->Shutdown();
    }
  }).detach();
  struct sigaction sa {};
  sa.sa_handler = CaskServerSignalHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    std::shared_ptr<Driver> store, ServerOptions options) {
  if (store == nullptr) {
    return absl::InvalidArgumentError("cask serve needs a store");
  }
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", options.port, " is out of range"));
  }
  if (options.max_key_bytes == 0 || options.max_key_bytes > kMaxKeyBytes) {
    options.max_key_bytes = kMaxKeyBytes;
  }
  if (options.max_body_bytes == 0) options.max_body_bytes = 64u << 20;
  if (options.threads == 0) options.threads = 64;
  if (options.max_header_bytes == 0) options.max_header_bytes = 16 * 1024;
  if (options.keep_alive_seconds <= 0) options.keep_alive_seconds = 5;
  bool signals = options.handle_signals;
  auto impl = std::make_unique<Impl>(std::move(store), std::move(options));
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  std::unique_ptr<Server> server(new Server(std::move(impl)));
  if (signals) {
    SignalHub& hub = SignalHub::Get();
    std::lock_guard<std::mutex> lock(hub.mu);
    InstallSignalHandlers();
    hub.servers.insert(server.get());
  }
  return server;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  {
    SignalHub& hub = SignalHub::Get();
    std::lock_guard<std::mutex> lock(hub.mu);
    hub.servers.erase(this);
  }
  Shutdown();
  Wait();
}

int Server::port() const { return impl_->port(); }

std::string Server::url() const {
  const std::string& host = impl_->options().host;
  bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", host, v6 ? "]" : "", ":",
                      impl_->port());
}

void Server::Shutdown() { impl_->Shutdown(); }

void Server::Wait() { impl_->Wait(); }

}  // namespace cask::server
