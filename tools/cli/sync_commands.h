// `cask sync`, `cask conflicts`, `cask resolve` (offline-first sync,
// docs/sync.md) and `cask changes`, `cask watch` (any store with a change
// feed). docs/cli.md is the manual.
#ifndef CASK_TOOLS_CLI_SYNC_COMMANDS_H_
#define CASK_TOOLS_CLI_SYNC_COMMANDS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "commands.h"

namespace cask::cli {

struct SyncFlags {
  std::string remote_uri;
  bool once = false;
  bool follow = false;
  bool scan = false;
  std::string peer;  // default: derived from the remote URI
  std::string key;
  std::string keep;  // resolve: local | remote
  std::string base;
  std::uint64_t after = 0;
  std::uint64_t limit = 1000;
  bool json = false;  // --json given after the subcommand
};

// Registers sync, conflicts, resolve, changes and watch on `app`.
void AddSyncCommands(CLI::App& app, SyncFlags& flags);

// True when `name` is one of them.
bool IsSyncCommand(const std::string& name);

// Runs command `name`. `local` is the --store. sync: OK when caught up
// with no unresolved conflict, kAborted when conflicts remain (exit 3),
// kUnavailable when the remote is unreachable (exit 5).
absl::Status RunSyncCommand(const std::string& name,
                            std::shared_ptr<Driver> local, const Context& ctx,
                            const SyncFlags& flags);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_SYNC_COMMANDS_H_
