#include "evhttp_transport.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "date_header.h"

namespace cask::server {
namespace {

using Clock = std::chrono::steady_clock;

class EvhttpTransport;
struct Loop;

// A change-feed request waiting for the shared watch or its deadline.
struct Parked {
  EvhttpTransport* t = nullptr;
  Loop* loop = nullptr;
  evhttp_request* req = nullptr;
  LongPoll poll;
  Clock::time_point deadline;
  std::optional<std::uint64_t> id;
  event* timer = nullptr;
};

struct Loop {
  EvhttpTransport* t = nullptr;
  event_base* base = nullptr;
  evhttp* http = nullptr;
  evconnlistener* listener = nullptr;
  event* drain = nullptr;
  std::thread thread;
  // Requests handed to the router or parked and not answered yet; touched
  // on this loop's thread only.
  std::size_t busy = 0;
  std::unordered_map<Parked*, std::shared_ptr<Parked>> parked;
  DateHeader date;
};

// Runs `f` on `loop`'s thread (event_base_once is thread-safe once
// evthread_use_pthreads has run).
template <class F>
void RunOn(Loop& loop, F f) {
  auto* heap = new F(std::move(f));
  timeval zero{0, 0};
  if (event_base_once(
          loop.base, -1, EV_TIMEOUT,
          [](evutil_socket_t, short, void* arg) {
            std::unique_ptr<F> fn(static_cast<F*>(arg));
            (*fn)();
          },
          heap, &zero) != 0) {
    delete heap;
  }
}

const char* MethodName(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    case EVHTTP_REQ_OPTIONS:
      return "OPTIONS";
    case EVHTTP_REQ_TRACE:
      return "TRACE";
    case EVHTTP_REQ_CONNECT:
      return "CONNECT";
    case EVHTTP_REQ_PATCH:
      return "PATCH";
  }
  return "UNKNOWN";
}

// Every value of header `name`, joined with ", "; nullopt when absent.
std::optional<std::string> HeaderValues(evhttp_request* req,
                                        std::string_view name) {
  std::optional<std::string> out;
  evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (evkeyval* kv = headers->tqh_first; kv != nullptr;
       kv = kv->next.tqe_next) {
    if (std::strlen(kv->key) != name.size() ||
        strncasecmp(kv->key, name.data(), name.size()) != 0) {
      continue;
    }
    if (out) {
      out->append(", ");
      out->append(kv->value);
    } else {
      out.emplace(kv->value);
    }
  }
  return out;
}

// Framing evhttp accepts but an intermediary could read differently:
// RFC 9112 §6 wants these refused.
std::optional<std::string> FramingError(evhttp_request* req) {
  int lengths = 0;
  const char* length = nullptr;
  bool transfer_encoding = false;
  evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (evkeyval* kv = headers->tqh_first; kv != nullptr;
       kv = kv->next.tqe_next) {
    if (strcasecmp(kv->key, "Content-Length") == 0) {
      ++lengths;
      length = kv->value;
    } else if (strcasecmp(kv->key, "Transfer-Encoding") == 0) {
      transfer_encoding = true;
      if (strcasecmp(kv->value, "chunked") != 0) {
        return "only the chunked Transfer-Encoding is supported";
      }
    }
  }
  if (lengths > 1) return "several Content-Length values in one request";
  if (lengths == 1 && transfer_encoding) {
    return "Content-Length together with Transfer-Encoding";
  }
  if (length != nullptr) {
    std::string_view digits = length;
    if (digits.empty() ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return "Content-Length is not a plain decimal number";
    }
  }
  return std::nullopt;
}

class EvhttpTransport final : public Transport {
 public:
  EvhttpTransport(Router* router, ChangeHub* hub, const ServerOptions& options,
                  bool inline_store)
      : router_(router),
        hub_(hub),
        options_(options),
        inline_store_(inline_store) {
    if (!inline_store_) pool_.emplace(options.store_threads);
  }
  ~EvhttpTransport() override {
    if (running_) {
      Shutdown();
      Wait();
    }
    for (auto& loop : loops_) {
      if (loop->drain) event_free(loop->drain);
      // evhttp owns the listener bound to it.
      if (loop->http) {
        evhttp_free(loop->http);
      } else if (loop->listener) {
        evconnlistener_free(loop->listener);
      }
      if (loop->base) event_base_free(loop->base);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Bind();
  absl::Status Run();
  int port() const override { return port_; }
  void Shutdown() override;
  void Wait() override;

 private:
  static void OnRequest(evhttp_request* req, void* arg);
  static void OnDrainTick(evutil_socket_t, short, void* arg);
  void Route(Loop& loop, evhttp_request* req);
  RouteResult Handle(evhttp_request* req);
  void OnRouted(Loop& loop, evhttp_request* req, RouteResult result);
  void Park(Loop& loop, evhttp_request* req, LongPoll poll,
            Clock::time_point deadline);
  static void Wake(Parked* p, bool timed_out);
  void Reply(Loop& loop, evhttp_request* req, ApiResponse r);
  static ApiRequest MakeRequest(evhttp_request* req);

  Router* const router_;
  ChangeHub* const hub_;
  const ServerOptions& options_;
  const bool inline_store_;
  std::optional<boost::asio::thread_pool> pool_;
  std::vector<std::unique_ptr<Loop>> loops_;
  int fd_ = -1;
  int port_ = 0;
  bool running_ = false;  // Run started every loop; set before publication
  std::atomic<bool> shutting_down_{false};
  std::mutex wait_mu_;
};

absl::Status EvhttpTransport::Bind() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options_.port);
  if (int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", options_.host, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found,
                                                           &freeaddrinfo);
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      // Accepted sockets inherit it (Linux): no Nagle delay on answers.
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
      ::bind(fd, found->ai_addr, found->ai_addrlen) != 0 ||
      ::listen(fd, options_.listen_backlog) != 0 ||
      evutil_make_socket_nonblocking(fd) != 0) {
    std::string error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot bind ", options_.host, ":", options_.port, ": ",
                     error, " (in use, or not an address of this machine)"));
  }
  fd_ = fd;
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return absl::OkStatus();
}

absl::Status EvhttpTransport::Run() {
  static std::once_flag threads_once;
  std::call_once(threads_once, [] { evthread_use_pthreads(); });
  for (std::size_t i = 0; i < options_.io_threads; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->t = this;
    loop->base = event_base_new();
    loop->http = loop->base ? evhttp_new(loop->base) : nullptr;
    // Every loop accepts from the one listening socket; the listener does
    // not own it (the transport closes it).
    loop->listener = loop->http
                         ? evconnlistener_new(loop->base, nullptr, nullptr,
                                              LEV_OPT_CLOSE_ON_EXEC, -1, fd_)
                         : nullptr;
    if (loop->listener == nullptr ||
        evhttp_bind_listener(loop->http, loop->listener) == nullptr) {
      loops_.push_back(std::move(loop));
      return absl::InternalError("cannot start a libevent loop");
    }
    evhttp* http = loop->http;
    evhttp_set_gencb(http, &EvhttpTransport::OnRequest, loop.get());
    evhttp_set_allowed_methods(
        http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                  EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                  EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_default_content_type(http, nullptr);
    evhttp_set_max_headers_size(
        http, static_cast<ev_ssize_t>(options_.max_header_bytes));
    evhttp_set_max_body_size(http,
                             static_cast<ev_ssize_t>(options_.max_body_bytes));
    // Per read (and write): an idle keep-alive connection, and a pause
    // within a request, close after this long.
    evhttp_set_timeout(http, options_.keep_alive_seconds);
    loop->drain = event_new(loop->base, -1, EV_PERSIST,
                            &EvhttpTransport::OnDrainTick, loop.get());
    loops_.push_back(std::move(loop));
  }
  for (auto& loop : loops_) {
    loop->thread = std::thread([base = loop->base] {
      event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    });
  }
  running_ = true;
  return absl::OkStatus();
}

ApiRequest EvhttpTransport::MakeRequest(evhttp_request* req) {
  ApiRequest r;
  r.method = MethodName(evhttp_request_get_command(req));
  r.target = evhttp_request_get_uri(req);
  evbuffer* in = evhttp_request_get_input_buffer(req);
  std::size_t n = evbuffer_get_length(in);
  if (n > 0) {
    r.body = std::string_view(
        reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), n);
  }
  r.header = [req](std::string_view name) { return HeaderValues(req, name); };
  return r;
}

void EvhttpTransport::OnRequest(evhttp_request* req, void* arg) {
  Loop& loop = *static_cast<Loop*>(arg);
  EvhttpTransport& t = *loop.t;
  if (std::optional<std::string> error = FramingError(req)) {
    ApiResponse r = t.router_->Error(absl::InvalidArgumentError(*error), 400);
    r.close = true;
    ++loop.busy;
    return t.Reply(loop, req, std::move(r));
  }
  ++loop.busy;
  t.Route(loop, req);
}

// evhttp answers every body whole: a streamed one (a long listing) is read
// to its end here, on the thread that called the store.
RouteResult EvhttpTransport::Handle(evhttp_request* req) {
  RouteResult result = router_->Handle(MakeRequest(req));
  ApiResponse& r = result.response;
  if (r.stream) {
    absl::Status s = DrainBodyStream(*r.stream, r.body);
    r.stream.reset();
    if (!s.ok()) r = router_->Error(s);
  }
  return result;
}

void EvhttpTransport::Route(Loop& loop, evhttp_request* req) {
  if (inline_store_) return OnRouted(loop, req, Handle(req));
  // evhttp leaves reading on while a bodyless request is handled, and
  // aborts if pipelined bytes arrive then: stop reading until the answer
  // (sending it turns reading back on).
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    bufferevent_disable(evhttp_connection_get_bufferevent(conn), EV_READ);
  }
  boost::asio::post(*pool_, [this, &loop, req] {
    RouteResult result = Handle(req);
    RunOn(loop, [this, &loop, req, result = std::move(result)]() mutable {
      OnRouted(loop, req, std::move(result));
    });
  });
}

void EvhttpTransport::OnRouted(Loop& loop, evhttp_request* req,
                               RouteResult result) {
  if (!result.poll) return Reply(loop, req, std::move(result.response));
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(result.poll->wait_ms);
  Park(loop, req, *std::move(result.poll), deadline);
}

void EvhttpTransport::Park(Loop& loop, evhttp_request* req, LongPoll poll,
                           Clock::time_point deadline) {
  auto parked = std::make_shared<Parked>();
  parked->t = this;
  parked->loop = &loop;
  parked->req = req;
  parked->poll = std::move(poll);
  parked->deadline = deadline;
  std::weak_ptr<Parked> weak = parked;
  std::optional<std::uint64_t> id =
      hub_->Add(parked->poll.after, parked->poll.prefix, [weak] {
        std::shared_ptr<Parked> p = weak.lock();
        if (!p) return;
        RunOn(*p->loop, [weak] {
          if (std::shared_ptr<Parked> p = weak.lock()) Wake(p.get(), false);
        });
      });
  if (!id) {
    ApiResponse r = router_->Error(
        absl::UnavailableError(absl::StrCat(
            "over this server's limit of ", options_.max_long_polls,
            " waiting change-feed requests; retry later")),
        503);
    r.headers.emplace_back("Retry-After", "1");
    return Reply(loop, req, std::move(r));
  }
  if (*id != 0) parked->id = id;
  parked->timer = evtimer_new(
      loop.base,
      [](evutil_socket_t, short, void* arg) {
        Wake(static_cast<Parked*>(arg), true);
      },
      parked.get());
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      deadline - Clock::now());
  if (left.count() < 0) left = std::chrono::microseconds(0);
  timeval tv{static_cast<time_t>(left.count() / 1000000),
             static_cast<suseconds_t>(left.count() % 1000000)};
  evtimer_add(parked->timer, &tv);
  loop.parked.emplace(parked.get(), std::move(parked));
}

// Runs once per parked request, on its loop: by the hub (an event under
// the prefix, or shutdown) or by the deadline, whichever comes first.
void EvhttpTransport::Wake(Parked* p, bool timed_out) {
  EvhttpTransport& t = *p->t;
  Loop& loop = *p->loop;
  if (p->id) t.hub_->Remove(*p->id);
  event_free(p->timer);
  bool final = timed_out || t.shutting_down_ || Clock::now() >= p->deadline;
  LongPoll poll = std::move(p->poll);
  evhttp_request* req = p->req;
  Clock::time_point deadline = p->deadline;
  loop.parked.erase(p);  // p is gone
  if (t.inline_store_) {
    RouteResult r = t.router_->Poll(poll, final);
    if (r.poll) return t.Park(loop, req, *std::move(r.poll), deadline);
    return t.Reply(loop, req, std::move(r.response));
  }
  boost::asio::post(*t.pool_, [&t, &loop, req, poll, final, deadline] {
    RouteResult r = t.router_->Poll(poll, final);
    RunOn(loop, [&t, &loop, req, deadline, r = std::move(r)]() mutable {
      if (r.poll) return t.Park(loop, req, *std::move(r.poll), deadline);
      t.Reply(loop, req, std::move(r.response));
    });
  });
}

void EvhttpTransport::Reply(Loop& loop, evhttp_request* req, ApiResponse r) {
  --loop.busy;
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Date", loop.date.Now().c_str());
  char name[128];
  for (auto& [n, value] : r.headers) {
    std::size_t len = std::min(n.size(), sizeof(name) - 1);
    std::memcpy(name, n.data(), len);
    name[len] = '\0';
    evhttp_add_header(out, name, value.c_str());
  }
  if (!r.content_type.empty()) {
    std::string type(r.content_type);
    evhttp_add_header(out, "Content-Type", type.c_str());
  }
  if (r.close || shutting_down_) evhttp_add_header(out, "Connection", "close");
  if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
    if (r.status != 304) {
      std::string length =
          std::to_string(r.head_length.value_or(r.body.size()));
      evhttp_add_header(out, "Content-Length", length.c_str());
    }
  } else if (!r.body.empty()) {
    evbuffer_add(evhttp_request_get_output_buffer(req), r.body.data(),
                 r.body.size());
  }
  evhttp_send_reply(req, r.status, nullptr, nullptr);
}

void EvhttpTransport::OnDrainTick(evutil_socket_t, short, void* arg) {
  Loop& loop = *static_cast<Loop*>(arg);
  if (loop.busy > 0) return;
  // Every request has been answered: give the answers a moment to leave,
  // then close every connection and stop.
  event_del(loop.drain);
  timeval grace{0, 200 * 1000};
  event_base_once(
      loop.base, -1, EV_TIMEOUT,
      [](evutil_socket_t, short, void* a) {
        Loop& l = *static_cast<Loop*>(a);
        evhttp_free(l.http);  // and the listener bound to it
        l.http = nullptr;
        l.listener = nullptr;
        event_base_loopexit(l.base, nullptr);
      },
      &loop, &grace);
}

void EvhttpTransport::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    RunOn(*l, [l] {
      if (l->listener) evconnlistener_disable(l->listener);
      timeval tick{0, 50 * 1000};
      event_add(l->drain, &tick);
    });
  }
}

void EvhttpTransport::Wait() {
  std::lock_guard<std::mutex> lock(wait_mu_);
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  if (pool_) pool_->join();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> StartEvhttpTransport(
    Router* router, ChangeHub* hub, const ServerOptions& options,
    bool inline_store) {
  auto transport =
      std::make_unique<EvhttpTransport>(router, hub, options, inline_store);
  if (absl::Status s = transport->Bind(); !s.ok()) return s;
  if (absl::Status s = transport->Run(); !s.ok()) return s;
  return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace cask::server
