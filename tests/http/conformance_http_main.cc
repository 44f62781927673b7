// The conformance suite against the http adapter talking to a real
// `cask serve` server (cask::server::Server on 127.0.0.1, a fresh port and
// a fresh store behind it for every test case). Clients talk to it over
// loopback HTTP exactly as they would to `cask serve` in another process;
// open_again makes a new client (its own connections), also in forked
// children, so the process races run too.
//
// CASK_HTTP_BACKEND picks the store behind the server: "memory" or
// "engine" (a new directory per test case).
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "http_store.h"
#include "server.h"
#include "target.h"

namespace {

using cask::Driver;
using cask::server::Server;

std::unique_ptr<Server>& Current() {
  static auto* server = new std::unique_ptr<Server>;
  return *server;
}

// Servers of earlier test cases: shut down, destroyed at exit.
std::vector<std::unique_ptr<Server>>& Retired() {
  static auto* retired = new std::vector<std::unique_ptr<Server>>;
  return *retired;
}

std::string& Url() {
  static auto* url = new std::string;
  return *url;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenBackend() {
  std::string backend = CASK_HTTP_BACKEND;
  if (backend == "memory") return cask::OpenStore("mem:");
  static std::string root = [] {
    char tmpl[] = "/tmp/cask-http-engine.XXXXXX";
    const char* dir = mkdtemp(tmpl);
    return std::string(dir == nullptr ? "/tmp" : dir);
  }();
  static int n = 0;
  return cask::OpenStore(absl::StrCat("cask://", root, "/store", ++n));
}

absl::StatusOr<std::unique_ptr<Driver>> MakeEmpty() {
  if (Current() != nullptr) {
    Current()->Shutdown();
    Retired().push_back(std::move(Current()));
  }
  absl::StatusOr<std::unique_ptr<Driver>> store = OpenBackend();
  if (!store.ok()) return store.status();
  cask::server::ServerOptions options;
  options.port = 0;
  options.store_threads = 16;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(std::shared_ptr<Driver>(*std::move(store)), options);
  if (!server.ok()) return server.status();
  Url() = (*server)->url();
  Current() = *std::move(server);
  return cask::OpenHttpStoreUri(Url());
}

absl::StatusOr<std::unique_ptr<Driver>> OpenAgain() {
  return cask::OpenHttpStoreUri(Url());
}

}  // namespace

int main(int argc, char** argv) {
  cask::conformance::Target t;
  t.name = absl::StrCat("http (cask serve, ", CASK_HTTP_BACKEND, " behind it)");
  // Probe once that a server can start here at all.
  if (absl::StatusOr<std::unique_ptr<Driver>> probe = MakeEmpty();
      !probe.ok()) {
    return cask::conformance::SkipConformance(
        t.name, std::string(probe.status().message()));
  }
  t.make_empty = MakeEmpty;
  t.open_again = OpenAgain;
  t.multi_process = true;
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
