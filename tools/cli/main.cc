// cask: the command-line client for any cask store. docs/cli.md.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "commands.h"
#include "exit_codes.h"
#include "sync_commands.h"
#if CASK_HAVE_SERVER
#include "serve_command.h"
#endif
#if CASK_HAVE_ENGINE
#include "repair_command.h"
#endif

namespace {

using cask::cli::Context;
using cask::cli::PreconditionFlags;

// $CASK_STORE, else the engine in ./cask-data when this build has it.
absl::StatusOr<std::string> DefaultStoreUri() {
  if (const char* env = std::getenv("CASK_STORE"); env && *env) return env;
  for (const std::string& s : cask::SupportedSchemes()) {
    if (s == "cask") {
      return "cask://" + std::filesystem::absolute("cask-data").string();
    }
  }
  return absl::InvalidArgumentError(
      "no default store in this build: pass --store URI or set CASK_STORE");
}

void AddPreconditionFlags(CLI::App* cmd, PreconditionFlags& flags) {
  cmd->add_option("--if-match", flags.if_match,
                  "only if the key's etag is one of these (\"*\": exists)");
  cmd->add_option("--if-none-match", flags.if_none_match,
                  "only if the key's etag is none of these (\"*\": absent)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cask: a key-value store where every value has an etag and every "
      "write can be a compare-and-swap"};
  app.require_subcommand(1);
  // Global flags may follow the subcommand too (`cask meta k --json`):
  // options a subcommand does not know fall through to the app.
  app.fallthrough();
  std::string store_uri;
  bool json = false;
  app.add_option("--store", store_uri,
                 "store URI (mem:, lru:, null:, file:///dir, cask:///dir, "
                 "redis://, ...); default $CASK_STORE or ./cask-data");
  app.add_flag("--json", json, "machine-readable output");

  std::string key, base;
  std::optional<std::string> value;
  PreconditionFlags flags;
  double ttl = 0;
  bool atomic = false;

  CLI::App* get = app.add_subcommand("get", "print a value to stdout");
  get->add_option("key", key)->required();
  CLI::App* meta = app.add_subcommand("meta", "print etag, size, times");
  meta->add_option("key", key)->required();
  CLI::App* set = app.add_subcommand("set", "write a value, print its etag");
  set->add_option("key", key)->required();
  set->add_option("value", value, "the value, or - (default) for stdin");
  AddPreconditionFlags(set, flags);
  set->add_option("--ttl", ttl, "seconds until the item expires");
  CLI::App* rm = app.add_subcommand("rm", "remove a key");
  rm->add_option("key", key)->required();
  AddPreconditionFlags(rm, flags);
  CLI::App* keys = app.add_subcommand("keys", "list keys under a base");
  keys->add_option("base", base);
  cask::cli::PageFlags page;
  bool values = false;
  for (CLI::App* cmd :
       {keys, app.add_subcommand("scan",
                                 "list entries with metadata, page by "
                                 "page")}) {
    cmd->add_option("--limit", page.limit, "at most N entries (0: all)");
    cmd->add_option("--after", page.after, "start after this key");
  }
  CLI::App* scan = app.get_subcommand("scan");
  scan->add_option("base", base);
  scan->add_flag("--values", values, "print values too");
  CLI::App* clear =
      app.add_subcommand("clear", "remove every key under a base");
  clear->add_option("base", base);
  app.add_subcommand("commit", "apply a batch read from stdin, all or nothing");
  CLI::App* exp = app.add_subcommand("export", "write a dump to stdout");
  exp->add_option("base", base);
  CLI::App* imp = app.add_subcommand("import", "read a dump from stdin");
  imp->add_flag("--atomic", atomic,
                "all or nothing: verify the whole dump, then one commit");
  cask::cli::SyncFlags sync_flags;
  cask::cli::AddSyncCommands(app, sync_flags);
#if CASK_HAVE_SERVER
  cask::cli::ServeFlags serve_flags;
  cask::cli::AddServeCommand(app, serve_flags);
#endif
#if CASK_HAVE_ENGINE
  app.add_subcommand("repair",
                     "salvage a damaged engine store; old etags stop matching");
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? cask::cli::kExitOk : cask::cli::kExitUsage;
  }

  Context ctx;
  ctx.json = json;
  if (store_uri.empty()) {
    absl::StatusOr<std::string> uri = DefaultStoreUri();
    if (!uri.ok()) {
      cask::cli::ReportError(ctx, uri.status());
      return cask::cli::ExitCodeFor(uri.status());
    }
    store_uri = *uri;
  }
  const std::string name = app.get_subcommands().front()->get_name();
  std::string open_uri = store_uri;
#if CASK_HAVE_ENGINE
  if (name == "repair") {
    absl::Status repaired = cask::cli::RunRepair(ctx, store_uri);
    if (!repaired.ok()) cask::cli::ReportError(ctx, repaired);
    return cask::cli::ExitCodeFor(repaired);
  }
  // A read never creates a store, and works where it cannot write.
  if (name == "get" || name == "meta" || name == "keys" || name == "scan" ||
      name == "export") {
    open_uri =
        cask::cli::ForReading(store_uri,
                              /*one_shot=*/name == "get" || name == "meta");
  }
#endif
#if CASK_HAVE_SERVER
  // Before the store starts its threads: the allocator setting applies to
  // arenas made from now on.
  if (name == "serve") cask::cli::LimitMallocArenas();
#endif
  absl::StatusOr<std::unique_ptr<cask::Driver>> store =
      cask::OpenStore(open_uri);
  if (!store.ok()) {
    cask::cli::ReportError(ctx, store.status());
    return cask::cli::ExitCodeFor(store.status());
  }
  ctx.store = store->get();

  absl::Status status;
  if (name == "get")
    status = RunGet(ctx, key);
  else if (name == "meta")
    status = RunMeta(ctx, key);
  else if (name == "set")
    status = RunSet(ctx, key, value, flags, ttl);
  else if (name == "rm")
    status = RunRemove(ctx, key, flags);
  else if (name == "keys")
    status = RunKeys(ctx, base, page);
  else if (name == "scan")
    status = RunScan(ctx, base, page, values);
  else if (name == "clear")
    status = RunClear(ctx, base);
  else if (name == "commit")
    status = RunCommit(ctx);
  else if (name == "export")
    status = RunExport(ctx, base);
  else if (name == "import")
    status = RunImport(ctx, atomic);
  else if (cask::cli::IsSyncCommand(name)) {
    status = cask::cli::RunSyncCommand(
        name, std::shared_ptr<cask::Driver>(*std::move(store)), ctx,
        sync_flags);
  }
#if CASK_HAVE_SERVER
  else if (name == "serve") {
    status =
        cask::cli::RunServe(std::shared_ptr<cask::Driver>(*std::move(store)),
                            store_uri, serve_flags);
  }
#endif
  if (!status.ok()) cask::cli::ReportError(ctx, status);
  return cask::cli::ExitCodeFor(status);
}
