// `cask repair`: explicit salvage of a damaged engine store (docs/cli.md,
// docs/engine.md). Never run implicitly by any other command.
#ifndef CASK_TOOLS_CLI_REPAIR_COMMAND_H_
#define CASK_TOOLS_CLI_REPAIR_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "commands.h"

namespace cask::cli {

// Repairs the engine store named by `store_uri` (cask:///dir or a plain
// path) and prints what was lost and the new store id. kInvalidArgument
// for a store of another kind.
absl::Status RunRepair(const Context& ctx, const std::string& store_uri);

// `store_uri` as a read-only opener should use it: for the engine, adds
// read_only=1 (the store must exist; nothing is created; a directory this
// process cannot write is read without writing). Other stores unchanged.
// With `one_shot` (a command that makes one short read: get, meta) adds
// one_shot=1 too: when no process owns the store, the command reads RocksDB
// directly instead of becoming the owner and serving the store (unless the
// URI names one_shot itself).
std::string ForReading(const std::string& store_uri, bool one_shot = false);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_REPAIR_COMMAND_H_
