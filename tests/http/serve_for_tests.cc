// Test-only: serves the store named by argv[1] (a cask URI, e.g. "mem:")
// with cask::server::Server on 127.0.0.1 and prints "PORT <n>" once it
// listens, then runs until SIGTERM / SIGINT (which drain) or stdin closes.
//
//   serve_for_tests URI [--port N] [--token T] [--max-body N]
//                       [--max-header N] [--threads N] [--io-threads N]
//                       [--max-connections N] [--max-inflight-body N]
//                       [--max-long-polls N] [--header-timeout S]
//                       [--body-timeout S] [--keep-alive S]
//                       [--transport beast|evhttp]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "cask/open.h"
#include "server.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URI [--port N] [--token T] ...\n", argv[0]);
    return 2;
  }
  cask::server::ServerOptions options;
  options.port = 0;
  options.handle_signals = true;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--port") {
      options.port = std::atoi(value);
    } else if (flag == "--token") {
      options.token = value;
    } else if (flag == "--max-body") {
      options.max_body_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--max-header") {
      options.max_header_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--threads") {
      options.store_threads = std::strtoull(value, nullptr, 10);
    } else if (flag == "--io-threads") {
      options.io_threads = std::strtoull(value, nullptr, 10);
    } else if (flag == "--max-connections") {
      options.max_connections = std::strtoull(value, nullptr, 10);
    } else if (flag == "--max-inflight-body") {
      options.max_inflight_body_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--max-long-polls") {
      options.max_long_polls = std::strtoull(value, nullptr, 10);
    } else if (flag == "--header-timeout") {
      options.header_timeout_seconds = std::atoi(value);
    } else if (flag == "--body-timeout") {
      options.body_timeout_seconds = std::atoi(value);
    } else if (flag == "--transport") {
      if (std::string(value) == "evhttp") {
        options.transport = cask::server::TransportKind::kEvhttp;
      } else if (std::string(value) != "beast") {
        std::fprintf(stderr, "unknown transport %s\n", value);
        return 2;
      }
    } else if (flag == "--keep-alive") {
      options.keep_alive_seconds = std::atoi(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  absl::StatusOr<std::unique_ptr<cask::Driver>> store =
      cask::OpenStore(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", argv[1],
                 store.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<cask::server::Server>> server =
      cask::server::Server::Start(
          std::shared_ptr<cask::Driver>(*std::move(store)), options);
  if (!server.ok()) {
    std::fprintf(stderr, "cannot serve: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::printf("PORT %d\n", (*server)->port());
  std::fflush(stdout);
  (*server)->Wait();
  std::fprintf(stderr, "serve_for_tests: drained and stopped\n");
  return 0;
}
