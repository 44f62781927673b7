#include "serve_command.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "server.h"

namespace cask::cli {

CLI::App* AddServeCommand(CLI::App& app, ServeFlags& flags) {
  CLI::App* serve = app.add_subcommand(
      "serve", "serve the store over HTTP (unstorage's protocol + CAS)");
  serve->add_option("--host", flags.host,
                    "address to bind (default 127.0.0.1: this machine only)");
  serve->add_option("--port", flags.port, "TCP port (0: any free port)");
  serve
      ->add_option("--token", flags.token,
                   "require `Authorization: Bearer TOKEN`")
      ->envname("CASK_TOKEN");
  server::ServerOptions& o = flags.server;
  serve->add_option("--max-connections", o.max_connections,
                    "open connections at most; more are answered 503");
  serve->add_option("--keep-alive", o.keep_alive_seconds,
                    "seconds an idle keep-alive connection stays open");
  serve->add_option("--header-timeout", o.header_timeout_seconds,
                    "seconds for request line and headers, from their "
                    "first byte");
  serve->add_option("--body-timeout", o.body_timeout_seconds,
                    "longest pause, in seconds, within a request body");
  serve->add_option("--min-body-rate", o.min_body_bytes_per_second,
                    "slowest average body rate in bytes/s (0: no check)");
  serve->add_option("--max-body", o.max_body_bytes,
                    "largest request body in bytes (413 past it)");
  serve->add_option("--max-inflight-body", o.max_inflight_body_bytes,
                    "request-body bytes held at once over all connections "
                    "(503 + Retry-After past it)");
  serve->add_option("--max-header", o.max_header_bytes,
                    "request line + headers in bytes (431 past it)");
  serve->add_option("--max-long-polls", o.max_long_polls,
                    "change-feed long polls waiting at once (503 past it)");
  serve
      ->add_option("--transport", o.transport,
                   "HTTP library: beast (default; every limit above) or "
                   "evhttp (libevent; measured alternative, fewer limits)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, server::TransportKind>{
              {"beast", server::TransportKind::kBeast},
              {"evhttp", server::TransportKind::kEvhttp}},
          CLI::ignore_case));
  serve->add_option("--io-threads", o.io_threads,
                    "event-loop threads (0: one per core)");
  serve->add_option("--store-threads", o.store_threads,
                    "threads calling a store that may block");
  return serve;
}

void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  mallopt(M_ARENA_MAX, std::max(2, cores));
}

absl::Status RunServe(std::shared_ptr<Driver> store,
                      const std::string& store_uri, const ServeFlags& flags) {
  server::ServerOptions options = flags.server;
  options.host = flags.host;
  options.port = flags.port;
  options.token = flags.token;
  options.handle_signals = true;
  absl::StatusOr<std::unique_ptr<server::Server>> server =
      server::Server::Start(std::move(store), options);
  if (!server.ok()) return server.status();
  std::string url = (*server)->url();
  std::fprintf(
      stderr,
      "cask serve: %s at %s (Ctrl-C or SIGTERM stops it)\n"
      "try:  curl -i -X PUT -H 'If-None-Match: *' --data hello %s/greeting\n"
      "      curl -i %s/greeting\n",
      store_uri.c_str(), url.c_str(), url.c_str(), url.c_str());
  std::printf("%s\n", url.c_str());
  std::fflush(stdout);
  (*server)->Wait();
  return absl::OkStatus();
}

}  // namespace cask::cli
