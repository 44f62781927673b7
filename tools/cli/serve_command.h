// `cask serve`: the CLI's front end to tools/server (docs/protocol.md).
#ifndef CASK_TOOLS_CLI_SERVE_COMMAND_H_
#define CASK_TOOLS_CLI_SERVE_COMMAND_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cask/driver.h"
#include "server.h"

namespace cask::cli {

struct ServeFlags {
  std::string host = "127.0.0.1";
  int port = 8787;
  std::string token;  // also from $CASK_TOKEN
  // Limits and threads (docs/protocol.md, "Limits"); host, port, token and
  // handle_signals are taken from above.
  server::ServerOptions server;
};

CLI::App* AddServeCommand(CLI::App& app, ServeFlags& flags);

// Caps glibc's malloc arenas at one per core (at least 2) unless
// MALLOC_ARENA_MAX is set. The server hands a store call to any of its
// store threads; with glibc's default of 8 arenas per core, memory freed
// by one thread stays in an arena another thread made, and a long listing
// grew the server's peak RSS by about twice as much (docs/benchmarks/
// scale.md, "HTTP listing"). With at most two threads running at once on
// two cores, more arenas than cores buy no parallelism. Call before any
// thread starts.
void LimitMallocArenas();

// Serves until SIGTERM / SIGINT, then drains in-flight requests.
absl::Status RunServe(std::shared_ptr<Driver> store,
                      const std::string& store_uri, const ServeFlags& flags);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_SERVE_COMMAND_H_
