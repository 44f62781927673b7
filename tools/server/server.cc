#include "server.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "beast_transport.h"
#include "cask/key.h"
#include "change_hub.h"
#include "evhttp_transport.h"
#include "router.h"
#include "signal_hub.h"

namespace cask::server {
namespace {

// Stores that answer from memory without blocking: served on the event
// loop itself. Everything else (disk, network) runs on the store pool.
bool NeverBlocks(const Driver& store) {
  std::string_view name = store.name();
  return name == "memory" || name == "null";
}

// Fills in the documented meaning of every 0.
ServerOptions Normalised(ServerOptions o) {
  if (o.max_key_bytes == 0 || o.max_key_bytes > kMaxKeyBytes) {
    o.max_key_bytes = kMaxKeyBytes;
  }
  if (o.max_body_bytes == 0) o.max_body_bytes = 64u << 20;
  if (o.max_header_bytes == 0) o.max_header_bytes = 16 * 1024;
  if (o.io_threads == 0) {
    o.io_threads = std::max(1u, std::thread::hardware_concurrency());
  }
  if (o.store_threads == 0) o.store_threads = 16;
  if (o.max_connections == 0) o.max_connections = 10000;
  if (o.listen_backlog <= 0) o.listen_backlog = 4096;
  if (o.keep_alive_seconds <= 0) o.keep_alive_seconds = 5;
  if (o.header_timeout_seconds <= 0) o.header_timeout_seconds = 10;
  if (o.body_timeout_seconds <= 0) o.body_timeout_seconds = 10;
  if (o.write_timeout_seconds <= 0) o.write_timeout_seconds = 30;
  if (o.max_inflight_body_bytes == 0) o.max_inflight_body_bytes = 256u << 20;
  o.max_inflight_body_bytes =
      std::max(o.max_inflight_body_bytes, o.max_body_bytes);
  if (o.max_long_polls == 0) o.max_long_polls = 1024;
  return o;
}

}  // namespace

class Server::Impl {
 public:
  Impl(std::shared_ptr<Driver> store, ServerOptions options)
      : options_(Normalised(std::move(options))),
        router_(store, options_),
        hub_(store.get(), options_.max_long_polls),
        store_(std::move(store)) {}

  ~Impl() {
    if (signal_handle_ != 0) SignalHub::Unregister(signal_handle_);
  }

  absl::Status Start() {
    bool inline_store = NeverBlocks(*store_);
    absl::StatusOr<std::unique_ptr<Transport>> t =
        options_.transport == TransportKind::kEvhttp
            ? StartEvhttpTransport(&router_, &hub_, options_, inline_store)
            : StartBeastTransport(&router_, &hub_, options_, inline_store);
    if (!t.ok()) return t.status();
    transport_ = *std::move(t);
    if (options_.handle_signals) {
      signal_handle_ = SignalHub::Register([this] { Shutdown(); });
    }
    return absl::OkStatus();
  }

  void Shutdown() {
    transport_->Shutdown();
    hub_.Shutdown();  // parked long polls answer now
  }

  void Wait() { transport_->Wait(); }

  int port() const { return transport_->port(); }
  const ServerOptions& options() const { return options_; }

 private:
  const ServerOptions options_;
  Router router_;
  ChangeHub hub_;
  std::shared_ptr<Driver> store_;
  std::unique_ptr<Transport> transport_;
  std::uint64_t signal_handle_ = 0;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    std::shared_ptr<Driver> store, ServerOptions options) {
  if (store == nullptr) {
    return absl::InvalidArgumentError("cask serve needs a store");
  }
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", options.port, " is out of range"));
  }
  auto impl = std::make_unique<Impl>(std::move(store), std::move(options));
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
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
