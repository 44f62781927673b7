// `cask serve` (tools/server) on an engine store in this process, with an
// http adapter client; stopped and restarted on one port to make outages.
#ifndef CASK_TESTS_SYNC_SERVED_ENGINE_H_
#define CASK_TESTS_SYNC_SERVED_ENGINE_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "http_store.h"
#include "server.h"
#include "sync_harness.h"

namespace cask::synctest {

// `cask serve` over an engine store, stopped and restarted on one port.
class ServedEngine {
 public:
  explicit ServedEngine(std::string params = "") {
    auto engine =
        OpenEngineUri(absl::StrCat("cask://", dir_.path(), "/server", params));
    REQUIRE(engine.ok());
    store_ = std::shared_ptr<Driver>(*std::move(engine));
    Start();
    auto client = OpenHttpStoreUri(
        absl::StrCat("http://127.0.0.1:", port_,
                     "?connect_timeout_ms=2000&timeout_ms=20000"));
    REQUIRE(client.ok());
    client_ = std::shared_ptr<Driver>(*std::move(client));
  }
  ~ServedEngine() { Stop(); }

  void Start() {
    if (server_) return;
    server::ServerOptions options;
    options.port = port_;
    options.io_threads = 2;
    options.max_wait_ms = 200;
    options.keep_alive_seconds = 1;
    auto server = server::Server::Start(store_, options);
    REQUIRE(server.ok());
    server_ = *std::move(server);
    port_ = server_->port();
  }
  void Stop() {
    if (!server_) return;
    server_->Shutdown();
    server_->Wait();
    server_.reset();
  }
  void SetUp(bool up) { up ? Start() : Stop(); }

  std::shared_ptr<Driver> client() { return client_; }
  std::string url() const {
    return absl::StrCat("http://127.0.0.1:", port_,
                        "?connect_timeout_ms=2000&timeout_ms=20000");
  }
  Driver& store() { return *store_; }

 private:
  TempDir dir_;
  std::shared_ptr<Driver> store_;
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
  std::shared_ptr<Driver> client_;
};

}  // namespace cask::synctest

#endif  // CASK_TESTS_SYNC_SERVED_ENGINE_H_
