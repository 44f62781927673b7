#include "repair_command.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "nlohmann/json.hpp"

namespace cask::cli {
namespace {

// A plain path (no scheme) names an engine store, as in OpenStore.
bool IsEngineUri(const std::string& uri) {
  return absl::StartsWithIgnoreCase(uri, "cask:") ||
         (!uri.empty() && uri.find(':') == std::string::npos);
}

std::string AsEngineUri(const std::string& uri) {
  return uri.find(':') == std::string::npos ? "cask://" + uri : uri;
}

}  // namespace

std::string ForReading(const std::string& store_uri, bool one_shot) {
  if (!IsEngineUri(store_uri)) return store_uri;
  std::string uri = AsEngineUri(store_uri);
  const std::size_t query = uri.find('?');
  // A one_shot the URI names itself wins (one_shot=0: open as usual).
  const bool add_one_shot =
      one_shot && (query == std::string::npos ||
                   uri.find("one_shot=", query) == std::string::npos);
  return absl::StrCat(uri, query == std::string::npos ? "?" : "&",
                      "read_only=1", add_one_shot ? "&one_shot=1" : "");
}

absl::Status RunRepair(const Context& ctx, const std::string& store_uri) {
  if (!IsEngineUri(store_uri)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cask repair: only engine stores (cask:///dir) can be repaired, not \"",
        store_uri, "\""));
  }
  absl::StatusOr<EngineOptions> options =
      EngineOptions::FromUri(AsEngineUri(store_uri));
  if (!options.ok()) return options.status();
  absl::StatusOr<RepairReport> report = Engine::Repair(options->path, *options);
  if (!report.ok()) return report.status();
  if (ctx.json) {
    nlohmann::json j = {{"old_store_id", report->old_store_id},
                        {"new_store_id", report->new_store_id},
                        {"revision", report->revision},
                        {"keys", report->keys},
                        {"lost", report->lost},
                        {"lost_files_dir", report->lost_files_dir}};
    std::fprintf(ctx.out, "%s\n", j.dump().c_str());
    return absl::OkStatus();
  }
  std::fprintf(ctx.out, "repaired %s: %llu keys, revision %llu\n",
               options->path.c_str(),
               static_cast<unsigned long long>(report->keys),
               static_cast<unsigned long long>(report->revision));
  std::fprintf(
      ctx.out,
      "store id %s -> %s: etags issued before the repair "
      "no longer match\n",
      report->old_store_id.empty() ? "(lost)" : report->old_store_id.c_str(),
      report->new_store_id.c_str());
  for (const std::string& line : report->lost) {
    std::fprintf(ctx.out, "lost: %s\n", line.c_str());
  }
  if (report->lost.empty()) {
    std::fprintf(ctx.out, "lost: nothing the change log can tell of\n");
  }
  if (!report->lost_files_dir.empty()) {
    std::fprintf(ctx.out, "files RocksDB could not use: %s\n",
                 report->lost_files_dir.c_str());
  }
  return absl::OkStatus();
}

}  // namespace cask::cli
