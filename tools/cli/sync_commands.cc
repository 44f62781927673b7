#include "sync_commands.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/open.h"
#include "cask/sync.h"
#include "nlohmann/json.hpp"
#include "progress.h"

namespace cask::cli {
namespace {

using json = nlohmann::json;

const std::set<std::string>& Names() {
  static const std::set<std::string> names = {"sync", "conflicts", "resolve",
                                              "changes", "watch"};
  return names;
}

void Print(const Context& ctx, const json& j) {
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fprintf(ctx.out, "%s\n", text.c_str());
  std::fflush(ctx.out);
}

json EventJson(const ChangeEvent& e) {
  return {{"revision", e.revision},
          {"key", e.key},
          {"kind", std::string(ChangeKindName(e.kind))},
          {"etag", e.etag},
          {"size", e.size},
          {"time_us", absl::ToUnixMicros(e.time)}};
}

void PrintEvent(const Context& ctx, const ChangeEvent& e) {
  if (ctx.json) return Print(ctx, EventJson(e));
  std::fprintf(ctx.out, "%llu %.*s %s %s\n",
               static_cast<unsigned long long>(e.revision),
               static_cast<int>(ChangeKindName(e.kind).size()),
               ChangeKindName(e.kind).data(), e.key.c_str(), e.etag.c_str());
  std::fflush(ctx.out);
}

std::atomic<bool> stop_requested{false};

// Returns when SIGINT or SIGTERM arrives (whichever thread receives it).
void WaitForStopSignal() {
  struct sigaction sa = {};
  sa.sa_handler = [](int) { stop_requested.store(true); };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  while (!stop_requested.load()) absl::SleepFor(absl::Milliseconds(100));
}

void PrintCounts(const Context& ctx, const SyncCounters& c,
                 std::size_t unresolved) {
  if (ctx.json) {
    return Print(ctx, {{"pushed", c.pushed},
                       {"pulled", c.pulled},
                       {"conflicts", c.conflicts},
                       {"unresolved", unresolved},
                       {"converged", c.converged},
                       {"remote_requests", c.remote_requests},
                       {"full_compares", c.full_compares}});
  }
  std::fprintf(ctx.out,
               "pushed %llu, pulled %llu, conflicts %llu (unresolved %zu)\n",
               static_cast<unsigned long long>(c.pushed),
               static_cast<unsigned long long>(c.pulled),
               static_cast<unsigned long long>(c.conflicts), unresolved);
}

absl::Status Unresolved(std::size_t n) {
  if (n == 0) return absl::OkStatus();
  return absl::AbortedError(
      absl::StrCat(n,
                   " unresolved sync conflict(s): see `cask conflicts`, then "
                   "`cask resolve KEY --keep local|remote`"));
}

absl::Status RunSync(std::shared_ptr<Driver> local, const Context& ctx,
                     const SyncFlags& flags) {
  absl::StatusOr<std::unique_ptr<Driver>> remote = OpenStore(flags.remote_uri);
  if (!remote.ok()) return remote.status();
  SyncOptions options;
  options.peer =
      flags.peer.empty() ? SyncPeerForUri(flags.remote_uri) : flags.peer;
  if (flags.scan) options.pull_mode = SyncOptions::PullMode::kScan;
  auto progress = std::make_shared<Progress>("sync");
  options.on_progress = [progress](const SyncCounters& c) {
    progress->Update(0, c.pushed + c.pulled);
  };
  absl::StatusOr<std::unique_ptr<Sync>> sync =
      Sync::Create(local, std::shared_ptr<Driver>(*std::move(remote)), options);
  if (!sync.ok()) return sync.status();
  if (!flags.follow) {
    absl::StatusOr<SyncReport> report = (*sync)->RunOnce();
    if (!report.ok()) return report.status();
    progress->Finish(0, report->counts.pushed + report->counts.pulled);
    PrintCounts(ctx, report->counts, report->unresolved_conflicts);
    return Unresolved(report->unresolved_conflicts);
  }
  (*sync)->Follow();
  WaitForStopSignal();
  (*sync)->StopFollow();
  SyncStatus st = (*sync)->status();
  absl::StatusOr<std::vector<SyncConflict>> conflicts = (*sync)->Conflicts();
  if (!conflicts.ok()) return conflicts.status();
  PrintCounts(ctx, st.totals, conflicts->size());
  return Unresolved(conflicts->size());
}

absl::Status RunConflicts(Driver& local, const Context& ctx,
                          const SyncFlags& flags) {
  absl::StatusOr<std::vector<std::string>> peers = SyncPeers(local);
  if (!peers.ok()) return peers.status();
  json list = json::array();
  for (const std::string& peer : *peers) {
    if (!flags.peer.empty() && peer != flags.peer) continue;
    absl::StatusOr<std::vector<SyncConflict>> conflicts =
        ListSyncConflicts(local, peer);
    if (!conflicts.ok()) return conflicts.status();
    for (const SyncConflict& c : *conflicts) {
      if (!ctx.json) {
        std::fprintf(ctx.out, "%s\t%s\tremote %s\t%s\n", c.key.c_str(),
                     peer.c_str(),
                     c.remote_exists ? c.remote_etag.c_str() : "(absent)",
                     c.reason.c_str());
        continue;
      }
      list.push_back({{"key", c.key},
                      {"peer", peer},
                      {"remote_exists", c.remote_exists},
                      {"remote_etag", c.remote_etag},
                      {"remote_value", c.remote_value},
                      {"reason", c.reason},
                      {"detected_us", absl::ToUnixMicros(c.detected)}});
    }
  }
  if (ctx.json) Print(ctx, list);
  return absl::OkStatus();
}

absl::Status RunResolve(Driver& local, const SyncFlags& flags) {
  Resolution how;
  if (flags.keep == "local") {
    how = Resolution::kKeepLocal;
  } else if (flags.keep == "remote") {
    how = Resolution::kKeepRemote;
  } else {
    return absl::InvalidArgumentError("--keep must be local or remote");
  }
  absl::StatusOr<std::vector<std::string>> peers = SyncPeers(local);
  if (!peers.ok()) return peers.status();
  bool found = false;
  for (const std::string& peer : *peers) {
    if (!flags.peer.empty() && peer != flags.peer) continue;
    absl::Status s = ResolveSyncConflict(local, peer, flags.key, how);
    if (s.code() == absl::StatusCode::kNotFound) continue;
    if (!s.ok()) return s;
    found = true;
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no sync conflict on key \"", flags.key, "\""));
  }
  return absl::OkStatus();
}

absl::Status RunChanges(Driver& store, const Context& ctx,
                        const SyncFlags& flags) {
  absl::StatusOr<std::vector<ChangeEvent>> events =
      store.Changes(flags.after, flags.limit);
  if (!events.ok()) return events.status();
  for (const ChangeEvent& e : *events) PrintEvent(ctx, e);
  return absl::OkStatus();
}

absl::Status RunWatch(Driver& store, const Context& ctx,
                      const SyncFlags& flags) {
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      store.Watch(flags.base, flags.after,
                  [&ctx](const ChangeEvent& e) { PrintEvent(ctx, e); });
  if (!sub.ok()) return sub.status();
  WaitForStopSignal();
  return absl::OkStatus();
}

}  // namespace

void AddSyncCommands(CLI::App& app, SyncFlags& flags) {
  CLI::App* sync = app.add_subcommand(
      "sync", "replicate --store with a remote store, both ways");
  sync->add_option("remote", flags.remote_uri, "the remote store's URI")
      ->required();
  sync->add_flag("--once", flags.once,
                 "push and pull until caught up (default)");
  sync->add_flag("--follow", flags.follow,
                 "keep syncing until SIGINT / SIGTERM");
  sync->add_flag("--scan", flags.scan,
                 "pull by comparing etags even if the remote has a feed");
  sync->add_option("--peer", flags.peer,
                   "name of this pairing's state (default: from the URI)");
  CLI::App* conflicts =
      app.add_subcommand("conflicts", "list unresolved sync conflicts");
  conflicts->add_option("--peer", flags.peer, "only this pairing");
  conflicts->add_flag("--json", flags.json, "machine-readable output");
  sync->add_flag("--json", flags.json, "machine-readable output");
  CLI::App* resolve =
      app.add_subcommand("resolve", "settle a sync conflict on KEY");
  resolve->add_option("key", flags.key)->required();
  resolve->add_option("--keep", flags.keep, "local or remote")->required();
  resolve->add_option("--peer", flags.peer, "only this pairing");
  CLI::App* changes =
      app.add_subcommand("changes", "print change-log events after N");
  changes->add_option("--after", flags.after, "revision (default 0)");
  changes->add_option("--limit", flags.limit, "most events (default 1000)");
  CLI::App* watch = app.add_subcommand(
      "watch", "print change-log events under BASE as they happen");
  watch->add_option("base", flags.base);
  watch->add_option("--after", flags.after, "start after this revision");
}

bool IsSyncCommand(const std::string& name) { return Names().count(name); }

absl::Status RunSyncCommand(const std::string& name,
                            std::shared_ptr<Driver> local,
                            const Context& outer_ctx, const SyncFlags& flags) {
  Context ctx = outer_ctx;
  ctx.json = ctx.json || flags.json;
  if (name == "sync") return RunSync(std::move(local), ctx, flags);
  if (name == "conflicts") return RunConflicts(*local, ctx, flags);
  if (name == "resolve") return RunResolve(*local, flags);
  if (name == "changes") return RunChanges(*local, ctx, flags);
  return RunWatch(*local, ctx, flags);
}

}  // namespace cask::cli
