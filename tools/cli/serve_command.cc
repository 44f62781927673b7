#include "serve_command.h"

#include <cstdio>

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
  return serve;
}

absl::Status RunServe(std::shared_ptr<Driver> store,
                      const std::string& store_uri, const ServeFlags& flags) {
  server::ServerOptions options;
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
