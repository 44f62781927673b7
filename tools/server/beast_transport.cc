#include "beast_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "date_header.h"

namespace cask::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

beast::string_view BeastView(std::string_view s) {
  return beast::string_view(s.data(), s.size());
}
absl::string_view AbslView(beast::string_view s) {
  return absl::string_view(s.data(), s.size());
}
std::string_view StdView(beast::string_view s) {
  return std::string_view(s.data(), s.size());
}

// Closing in stages after a refused request (see Session::Linger) takes at
// most this long in all, as nginx's lingering_time.
constexpr auto kLingerTotal = std::chrono::seconds(30);

// Sent to a connection over the limit, before closing it.
constexpr std::string_view kOverloaded =
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
    "Content-Type: application/json\r\nContent-Length: 80\r\n"
    "Connection: close\r\n\r\n"
    "{\"status\":503,\"code\":\"UNAVAILABLE\",\"message\":\"too many "
    "connections\"}      ";

class Session;

// One event loop: its io_context, thread and the connections it serves.
struct Loop {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      guard;
  std::list<Session*> sessions;  // touched on this loop's thread only
  asio::steady_timer sweep{ioc};
  std::thread thread;
  DateHeader date;
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(Router* router, ChangeHub* hub, const ServerOptions& options,
                 bool inline_store)
      : router_(router),
        hub_(hub),
        options_(options),
        inline_store_(inline_store),
        pool_(inline_store ? 1 : options.store_threads) {
    std::size_t n = options.io_threads;
    for (std::size_t i = 0; i < n; ++i) {
      loops_.push_back(std::make_unique<Loop>());
    }
    acceptor_.emplace(loops_[0]->ioc);
  }
  ~BeastTransport() override {
    Shutdown();
    Wait();
  }

  absl::Status Bind();
  void Run();
  int port() const override { return port_; }
  void Shutdown() override;
  void Wait() override;

  bool Reserve(std::size_t bytes) {
    std::size_t cur = inflight_.load(std::memory_order_relaxed);
    while (true) {
      if (cur + bytes > options_.max_inflight_body_bytes) return false;
      if (inflight_.compare_exchange_weak(cur, cur + bytes)) return true;
    }
  }
  void Release(std::size_t bytes) { inflight_.fetch_sub(bytes); }

  Router* const router_;
  ChangeHub* const hub_;
  const ServerOptions& options_;
  const bool inline_store_;
  asio::thread_pool pool_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::optional<tcp::acceptor> acceptor_;
  std::size_t next_loop_ = 0;
  int port_ = 0;
  std::atomic<bool> shutting_down_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> inflight_{0};
  std::optional<asio::steady_timer> accept_retry_;

 private:
  void Accept();
  void Sweep(Loop& loop);
  std::mutex wait_mu_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(BeastTransport& t, Loop& loop, tcp::socket socket)
      : t_(t), loop_(loop), socket_(std::move(socket)), poll_timer_(loop.ioc) {
    t_.connections_.fetch_add(1);
  }
  ~Session() {
    Unlist();
    ReleaseBudget();
    t_.connections_.fetch_sub(1);
  }

  void Start() {
    self_ = loop_.sessions.insert(loop_.sessions.end(), this);
    listed_ = true;
    ReadRequest();
  }

  // Called by the loop's sweep once a second.
  void CheckDeadline(Clock::time_point now, bool shutting_down) {
    switch (phase_) {
      case Phase::kIdle:
      case Phase::kLingering:
        if (shutting_down || now > deadline_) Close();
        return;
      case Phase::kHeader:
      case Phase::kWriting:
        if (now > deadline_) Close();
        return;
      case Phase::kBody: {
        if (now > deadline_) return Close();
        auto elapsed = now - body_start_;
        double seconds = std::chrono::duration<double>(elapsed).count();
        if (t_.options_.min_body_bytes_per_second > 0 &&
            seconds > t_.options_.body_timeout_seconds &&
            BodyBytes() < t_.options_.min_body_bytes_per_second * seconds) {
          Close();
        }
        return;
      }
      default:
        return;
    }
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    if (poll_id_) t_.hub_->Remove(*poll_id_);
    poll_id_.reset();
    poll_timer_.cancel();
    beast::error_code ec;
    socket_.close(ec);
    Unlist();
  }

 private:
  enum class Phase {
    kIdle,
    kHeader,
    kBody,
    kHandling,
    kPolling,
    kWriting,
    kLingering,
    kClosed
  };

  void Unlist() {
    if (!listed_) return;
    loop_.sessions.erase(self_);
    listed_ = false;
  }

  void ReleaseBudget() {
    if (reserved_ > 0) t_.Release(reserved_);
    reserved_ = 0;
  }

  std::size_t BodyBytes() const {
    return parser_ ? parser_->get().body().size() : 0;
  }

  void ReadRequest() {
    if (phase_ == Phase::kClosed) return;
    if (t_.shutting_down_) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // pipelined
    phase_ = Phase::kIdle;
    deadline_ =
        Clock::now() + std::chrono::seconds(t_.options_.keep_alive_seconds);
    socket_.async_read_some(
        buffer_.prepare(16 * 1024),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          if (ec) return self->Close();
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kHeader;
    deadline_ =
        Clock::now() + std::chrono::seconds(t_.options_.header_timeout_seconds);
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(t_.options_.max_header_bytes));
    parser_->body_limit(t_.options_.max_body_bytes);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->OnHeader(ec);
        });
  }

  // Answers a request the parser refused (or cannot continue), then
  // closes: the rest of the stream cannot be trusted.
  void Refuse(const absl::Status& status, int http_status,
              std::optional<std::string_view> retry_after = std::nullopt) {
    ApiResponse r = t_.router_->Error(status, http_status);
    if (retry_after) r.headers.emplace_back("Retry-After", *retry_after);
    r.close = true;
    Write(std::move(r));
  }

  void OnParseError(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec == http::error::header_limit) {
      return Refuse(absl::InvalidArgumentError(absl::StrCat(
                        "request line and headers are over this server's "
                        "limit of ",
                        t_.options_.max_header_bytes, " bytes")),
                    431);
    }
    if (ec == http::error::body_limit) {
      return Refuse(absl::ResourceExhaustedError(absl::StrCat(
                        "request body is over this server's limit of ",
                        t_.options_.max_body_bytes, " bytes")),
                    413);
    }
    if (ec.category() ==
            http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return Refuse(absl::InvalidArgumentError(
                        absl::StrCat("malformed request: ", ec.message())),
                    400);
    }
    Close();  // the client left, or a deadline closed the socket
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnParseError(ec);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (req.version() != 10 && req.version() != 11) {
      return Refuse(absl::InvalidArgumentError("only HTTP/1.0 and 1.1"), 505);
    }
    // Beast accepts repeated equal Content-Length values; RFC 9112 §6.3
    // lets a server refuse them, and a proxy in front may have read a
    // different one: refuse, as nginx does.
    auto lengths = req.equal_range(http::field::content_length);
    if (lengths.first != lengths.second &&
        (std::next(lengths.first) != lengths.second ||
         StdView(lengths.first->value()).find(',') != std::string_view::npos)) {
      return Refuse(absl::InvalidArgumentError(
                        "several Content-Length values in one request"),
                    400);
    }
    if (req.find(http::field::transfer_encoding) != req.end()) {
      std::string te(absl::AsciiStrToLower(absl::StripAsciiWhitespace(
          AbslView(req[http::field::transfer_encoding]))));
      if (te != "chunked") {
        return Refuse(
            absl::InvalidArgumentError(absl::StrCat(
                "Transfer-Encoding \"", te, "\" is not supported (chunked)")),
            parser_->chunked() ? 501 : 400);
      }
    }
    bool continue_100 = false;
    if (auto expect = req.find(http::field::expect); expect != req.end()) {
      if (!absl::EqualsIgnoreCase(
              absl::StripAsciiWhitespace(AbslView(expect->value())),
              "100-continue")) {
        return Refuse(absl::InvalidArgumentError("unsupported Expect"), 417);
      }
      continue_100 = req.version() == 11;
    }
    if (parser_->is_done()) return Handle();
    if (boost::optional<std::uint64_t> length = parser_->content_length()) {
      if (*length > t_.options_.max_body_bytes) {
        return Refuse(absl::ResourceExhaustedError(
                          absl::StrCat("request body is ", *length,
                                       " bytes, over this server's limit of ",
                                       t_.options_.max_body_bytes, " bytes")),
                      413);
      }
      if (!ReserveBody(*length)) return RefuseBusy();
    }
    body_start_ = Clock::now();
    if (continue_100) {
      static constexpr std::string_view kContinue =
          "HTTP/1.1 100 Continue\r\n\r\n";
      phase_ = Phase::kWriting;
      deadline_ = Clock::now() +
                  std::chrono::seconds(t_.options_.write_timeout_seconds);
      asio::async_write(
          socket_, asio::buffer(kContinue.data(), kContinue.size()),
          [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->Close();
            self->body_start_ = Clock::now();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  bool ReserveBody(std::size_t total) {
    if (total <= reserved_) return true;
    if (!t_.Reserve(total - reserved_)) return false;
    reserved_ = total;
    return true;
  }

  void RefuseBusy() {
    Refuse(absl::UnavailableError(absl::StrCat(
               "request bodies in flight are over this server's limit of ",
               t_.options_.max_inflight_body_bytes, " bytes; retry later")),
           503, "1");
  }

  void ReadBody() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kBody;
    deadline_ =
        Clock::now() + std::chrono::seconds(t_.options_.body_timeout_seconds);
    http::async_read_some(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->OnBody(ec);
        });
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnParseError(ec);
    // A chunked body has no length up front: reserve as it grows, ahead by
    // 64 KiB so that the budget is not touched per chunk.
    if (!parser_->content_length() && !ReserveBody(BodyBytes() + (64u << 10))) {
      return RefuseBusy();
    }
    if (parser_->is_done()) return Handle();
    ReadBody();
  }

  ApiRequest MakeRequest() {
    const auto& req = parser_->get();
    ApiRequest r;
    r.method = StdView(req.method_string());
    r.target = StdView(req.target());
    r.body = req.body();
    r.header = [&req](std::string_view name) -> std::optional<std::string> {
      auto range = req.equal_range(BeastView(name));
      if (range.first == range.second) return std::nullopt;
      std::string out;
      for (auto it = range.first; it != range.second; ++it) {
        if (it != range.first) out.append(", ");
        out.append(it->value().data(), it->value().size());
      }
      return out;
    };
    return r;
  }

  // Routes the request; where the answer cannot be streamed (an HTTP/1.0
  // client has no chunked encoding), reads its whole body here, on the
  // thread that may call the store.
  RouteResult Route() {
    RouteResult result = t_.router_->Handle(MakeRequest());
    ApiResponse& r = result.response;
    if (r.stream && (head_ || parser_->get().version() == 10)) {
      absl::Status s =
          head_ ? absl::OkStatus() : DrainBodyStream(*r.stream, r.body);
      r.stream.reset();
      if (!s.ok()) r = t_.router_->Error(s);
    }
    return result;
  }

  void Handle() {
    phase_ = Phase::kHandling;
    if (t_.inline_store_) return OnRouted(Route());
    asio::post(t_.pool_, [self = shared_from_this()] {
      RouteResult result = self->Route();
      asio::post(self->loop_.ioc, [self, result = std::move(result)]() mutable {
        self->OnRouted(std::move(result));
      });
    });
  }

  void OnRouted(RouteResult result) {
    if (phase_ == Phase::kClosed) return;
    if (!result.poll) return Write(std::move(result.response));
    if (!poll_deadline_) {
      poll_deadline_ =
          Clock::now() + std::chrono::milliseconds(result.poll->wait_ms);
    }
    Park(*std::move(result.poll));
  }

  // Waits for the shared watch (or the poll's deadline) and reads again.
  void Park(LongPoll poll) {
    phase_ = Phase::kPolling;
    poll_ = std::move(poll);
    std::uint64_t generation = ++poll_generation_;
    std::weak_ptr<Session> weak = weak_from_this();
    Loop* loop = &loop_;
    std::optional<std::uint64_t> id =
        t_.hub_->Add(poll_->after, poll_->prefix, [weak, loop, generation] {
          asio::post(loop->ioc, [weak, generation] {
            if (auto self = weak.lock()) self->Wake(generation, false);
          });
        });
    if (!id) {
      poll_.reset();
      poll_deadline_.reset();
      return Refuse(
          absl::UnavailableError(absl::StrCat(
              "over this server's limit of ", t_.options_.max_long_polls,
              " waiting change-feed requests; retry later")),
          503, "1");
    }
    if (*id != 0) poll_id_ = id;
    poll_timer_.expires_at(*poll_deadline_);
    // The timer's handler holds the session while it is parked.
    poll_timer_.async_wait(
        [self = shared_from_this(), generation](beast::error_code ec) {
          if (ec) return;
          self->Wake(generation, true);
        });
  }

  void Wake(std::uint64_t generation, bool timed_out) {
    if (phase_ != Phase::kPolling || generation != poll_generation_) return;
    ++poll_generation_;
    if (poll_id_) t_.hub_->Remove(*poll_id_);
    poll_id_.reset();
    poll_timer_.cancel();
    bool final =
        timed_out || t_.shutting_down_ || Clock::now() >= *poll_deadline_;
    phase_ = Phase::kHandling;
    LongPoll poll = *std::move(poll_);
    poll_.reset();
    if (t_.inline_store_) return OnRouted(t_.router_->Poll(poll, final));
    asio::post(t_.pool_, [self = shared_from_this(), poll, final] {
      RouteResult result = self->t_.router_->Poll(poll, final);
      asio::post(self->loop_.ioc, [self, result = std::move(result)]() mutable {
        self->OnRouted(std::move(result));
      });
    });
  }

  // Writes the answer as one gather write: the status line and headers
  // serialised into a buffer the session keeps (no allocation per header
  // field once it has grown), then the body.
  void Write(ApiResponse r) {
    if (phase_ == Phase::kClosed) return;
    poll_deadline_.reset();
    unsigned version =
        parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    // A refusal may come before the body was read, and the client may
    // still be sending it.
    unread_request_ = !parser_ || !parser_->is_done();
    // The request is done with: drop its body and return its share of the
    // budget before the answer leaves, so that a client which has read the
    // answer finds the budget free for its next request on any connection.
    parser_.reset();
    ReleaseBudget();
    close_after_ = close_after_ || r.close;
    bool keep = keep_alive_ && !close_after_ && !t_.shutting_down_;
    std::string& h = head_buffer_;
    h.clear();
    h.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    absl::StrAppend(&h, r.status, " ");
    beast::string_view reason =
        http::obsolete_reason(static_cast<http::status>(r.status));
    h.append(reason.data(), reason.size());
    h.append("\r\nDate: ").append(loop_.date.Now()).append("\r\n");
    for (auto& [name, value] : r.headers) {
      h.append(name).append(": ").append(value).append("\r\n");
    }
    if (!r.content_type.empty()) {
      h.append("Content-Type: ").append(r.content_type).append("\r\n");
    }
    // RFC 9112 §9.3: HTTP/1.1 persists unless told; HTTP/1.0 only if told.
    if (version == 10 && keep) h.append("Connection: keep-alive\r\n");
    if (version != 10 && !keep) h.append("Connection: close\r\n");
    // A streamed body goes in chunks (Route drained it for HTTP/1.0).
    const bool chunked = r.stream != nullptr;
    if (chunked) h.append("Transfer-Encoding: chunked\r\n");
    // A HEAD answer has the GET's length and never a body; a 304 neither.
    if (!chunked && r.status != 304 && r.status != 204 && r.status >= 200) {
      std::uint64_t length =
          head_ ? r.head_length.value_or(r.body.size()) : r.body.size();
      absl::StrAppend(&h, "Content-Length: ", length, "\r\n");
    }
    h.append("\r\n");
    body_ = head_ || r.status == 304 ? std::string() : std::move(r.body);
    if (chunked) {
      stream_ = std::move(r.stream);
      return SendChunk(/*with_head=*/true, /*last=*/false, keep);
    }
    phase_ = Phase::kWriting;
    deadline_ =
        Clock::now() + std::chrono::seconds(t_.options_.write_timeout_seconds);
    std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_buffer_.data(), head_buffer_.size()),
        asio::buffer(body_.data(), body_.size())};
    asio::async_write(
        socket_, buffers,
        [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
          self->OnWritten(ec, keep);
        });
  }

  // Writes body_ as one chunk (after the status line and headers when
  // `with_head`; an empty piece writes no chunk, as a zero-size chunk ends
  // the body), then asks the stream for the next piece, or ends the body
  // when `last`. One piece per connection is in memory at a time.
  void SendChunk(bool with_head, bool last, bool keep) {
    phase_ = Phase::kWriting;
    deadline_ =
        Clock::now() + std::chrono::seconds(t_.options_.write_timeout_seconds);
    static constexpr std::string_view kCrlf = "\r\n";
    static constexpr std::string_view kEnd = "0\r\n\r\n";
    chunk_line_.clear();
    if (!body_.empty()) {
      absl::StrAppend(&chunk_line_, absl::Hex(body_.size()), "\r\n");
    }
    std::array<asio::const_buffer, 5> buffers{
        asio::buffer(head_buffer_.data(), with_head ? head_buffer_.size() : 0),
        asio::buffer(chunk_line_.data(), chunk_line_.size()),
        asio::buffer(body_.data(), body_.size()),
        asio::buffer(kCrlf.data(), body_.empty() ? 0 : kCrlf.size()),
        asio::buffer(kEnd.data(), last ? kEnd.size() : 0)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this(), last, keep](
                          beast::error_code ec, std::size_t) {
                        if (ec || last) return self->OnWritten(ec, keep);
                        self->NextChunk(keep);
                      });
  }

  void NextChunk(bool keep) {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kHandling;
    auto read = [self = shared_from_this(), keep] {
      std::string piece;
      absl::StatusOr<bool> more = self->stream_->Next(piece);
      return [self, keep, piece = std::move(piece), more]() mutable {
        if (self->phase_ == Phase::kClosed) return;
        // The status line is sent: all a failed body can do is stop short,
        // which the client sees as an unfinished chunked answer.
        if (!more.ok()) return self->Close();
        self->body_ = std::move(piece);
        self->SendChunk(/*with_head=*/false, /*last=*/!*more, keep);
      };
    };
    if (t_.inline_store_) return read()();
    asio::post(t_.pool_, [self = shared_from_this(), read] {
      asio::post(self->loop_.ioc, read());
    });
  }

  void OnWritten(beast::error_code ec, bool keep) {
    if (ec) return Close();
    stream_.reset();
    body_.clear();
    body_.shrink_to_fit();  // a large value is not kept between requests
    if (!keep) {
      beast::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      if (unread_request_) return Linger();
      return Close();
    }
    ReadRequest();
  }

  // Closes in stages (RFC 9112 §9.6), as nginx's lingering close does.
  // After a refusal the client may still be sending the request's body;
  // closing the socket with unread bytes resets the connection, and the
  // client then sees a broken pipe or a reset instead of the answer. So
  // once the answer is out and the write side shut, what arrives is read
  // and dropped until the client closes, pauses for longer than a body may
  // (body_timeout_seconds), or kLingerTotal has passed.
  void Linger() {
    if (phase_ == Phase::kClosed) return;
    Clock::time_point now = Clock::now();
    if (phase_ != Phase::kLingering) {
      phase_ = Phase::kLingering;
      linger_end_ = now + kLingerTotal;
    }
    deadline_ =
        std::min(linger_end_,
                 now + std::chrono::seconds(t_.options_.body_timeout_seconds));
    buffer_.clear();
    socket_.async_read_some(
        buffer_.prepare(16 * 1024),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->Close();
          self->Linger();  // the bytes read are dropped, never committed
        });
  }

  BeastTransport& t_;
  Loop& loop_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_buffer_;  // status line and headers of the answer
  std::string body_;         // the answer's body, while it is written
  // A streamed body: the rest of it, and the size line of its chunk.
  std::shared_ptr<BodyStream> stream_;
  std::string chunk_line_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_;
  Clock::time_point body_start_;
  Clock::time_point linger_end_;
  std::size_t reserved_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
  bool close_after_ = false;
  bool unread_request_ = false;  // the answered request was not read whole
  std::list<Session*>::iterator self_;
  bool listed_ = false;
  // Change-feed long poll.
  std::optional<LongPoll> poll_;
  std::optional<Clock::time_point> poll_deadline_;
  std::optional<std::uint64_t> poll_id_;
  std::uint64_t poll_generation_ = 0;
  asio::steady_timer poll_timer_;
};

absl::Status BeastTransport::Bind() {
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    // A host name: resolve it.
    tcp::resolver resolver(loops_[0]->ioc);
    auto results = resolver.resolve(options_.host, "", ec);
    if (ec || results.empty()) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", options_.host, ": ", ec.message()));
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  tcp::acceptor& a = *acceptor_;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(options_.listen_backlog, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot bind ", options_.host, ":", options_.port, ": ", ec.message(),
        " (in use, or not an address of this machine)"));
  }
  port_ = a.local_endpoint().port();
  return absl::OkStatus();
}

void BeastTransport::Accept() {
  Loop& target = *loops_[next_loop_];
  next_loop_ = (next_loop_ + 1) % loops_.size();
  acceptor_->async_accept(target.ioc, [this, &target](beast::error_code ec,
                                                      tcp::socket socket) {
    if (ec == asio::error::operation_aborted || shutting_down_) return;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      accept_retry_.emplace(loops_[0]->ioc);
      accept_retry_->expires_after(std::chrono::milliseconds(100));
      accept_retry_->async_wait([this](beast::error_code e) {
        if (!e && !shutting_down_) Accept();
      });
      return;
    }
    if (connections_.load() >= options_.max_connections) {
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.send(asio::buffer(kOverloaded.data(), kOverloaded.size()), 0,
                  ignored);
      socket.close(ignored);
    } else {
      int one = 1;
      setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one,
                 sizeof(one));
      asio::post(target.ioc, [this, &target,
                              socket = std::move(socket)]() mutable {
        std::make_shared<Session>(*this, target, std::move(socket))->Start();
      });
    }
    Accept();
  });
}

void BeastTransport::Sweep(Loop& loop) {
  loop.sweep.expires_after(std::chrono::seconds(1));
  loop.sweep.async_wait([this, &loop](beast::error_code ec) {
    if (ec) return;
    Clock::time_point now = Clock::now();
    bool stopping = shutting_down_;
    for (auto it = loop.sessions.begin(); it != loop.sessions.end();) {
      Session* s = *it++;  // CheckDeadline may unlist s
      s->CheckDeadline(now, stopping);
    }
    if (stopping && loop.sessions.empty()) {
      loop.guard.reset();
      return;
    }
    Sweep(loop);
  });
}

void BeastTransport::Run() {
  Accept();
  for (auto& loop : loops_) {
    loop->guard.emplace(loop->ioc.get_executor());
    Sweep(*loop);
    loop->thread = std::thread([l = loop.get()] { l->ioc.run(); });
  }
}

void BeastTransport::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  asio::post(loops_[0]->ioc, [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
    if (accept_retry_) accept_retry_->cancel();
  });
  // Idle connections close at the next sweep, busy ones after answering.
}

void BeastTransport::Wait() {
  std::lock_guard<std::mutex> lock(wait_mu_);
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  pool_.join();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> StartBeastTransport(
    Router* router, ChangeHub* hub, const ServerOptions& options,
    bool inline_store) {
  auto transport =
      std::make_unique<BeastTransport>(router, hub, options, inline_store);
  if (absl::Status s = transport->Bind(); !s.ok()) return s;
  transport->Run();
  return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace cask::server
