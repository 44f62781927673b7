// EngineOptions::FromUri: "cask:///abs/dir?durability=buffered&...".
#include <set>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"
#include "uri.h"

namespace cask {

absl::StatusOr<EngineOptions> EngineOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "cask") {
    return absl::InvalidArgumentError(
        absl::StrCat("not a cask engine URI: ", QuoteForMessage(text)));
  }
  static const std::set<std::string> kKnown = {"durability",
                                               "sync_interval_ms",
                                               "block_cache_bytes",
                                               "write_buffer_bytes",
                                               "log_retention_count",
                                               "log_retention_age_s",
                                               "max_value_bytes",
                                               "min_blob_size",
                                               "blob_compression",
                                               "maintenance_ms",
                                               "create",
                                               "ipc_timeout_ms",
                                               "read_only",
                                               "one_shot"};
  for (const auto& [key, value] : uri->query) {
    if (!kKnown.contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cask engine URI ", QuoteForMessage(text),
                       ": unknown option ", QuoteForMessage(key)));
    }
  }
  EngineOptions o;
  // "cask:///abs" has an empty host; "cask://rel/dir" names a relative
  // directory through the host part; "cask:rel" has no authority.
  o.path = uri->host + uri->path;
  if (o.path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cask engine URI ", QuoteForMessage(text), " names no directory"));
  }
  std::string durability = uri->Param("durability", "durable");
  if (durability == "durable") {
    o.durability = Durability::kDurable;
  } else if (durability == "buffered") {
    o.durability = Durability::kBuffered;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "cask engine URI: durability must be durable or buffered, not ",
        QuoteForMessage(durability)));
  }
  auto uint = [&](const char* name, std::uint64_t fallback,
                  std::uint64_t* out) -> absl::Status {
    absl::StatusOr<std::uint64_t> v = uri->UintParam(name, fallback);
    if (!v.ok()) return v.status();
    *out = *v;
    return absl::OkStatus();
  };
  std::uint64_t sync_ms = 0, age_s = 0, maintenance_ms = 0, compress = 0,
                create = 0, ipc_timeout_ms = 0, read_only = 0, one_shot = 0;
  for (absl::Status s : {
           uint("sync_interval_ms",
                absl::ToInt64Milliseconds(o.buffered_sync_interval), &sync_ms),
           uint("block_cache_bytes", o.block_cache_bytes, &o.block_cache_bytes),
           uint("write_buffer_bytes", o.write_buffer_bytes,
                &o.write_buffer_bytes),
           uint("log_retention_count", o.log_retention_count,
                &o.log_retention_count),
           uint("log_retention_age_s",
                absl::ToInt64Seconds(o.log_retention_age), &age_s),
           uint("max_value_bytes", o.max_value_bytes, &o.max_value_bytes),
           uint("min_blob_size", o.min_blob_size, &o.min_blob_size),
           uint("blob_compression", 1, &compress),
           uint("maintenance_ms",
                absl::ToInt64Milliseconds(o.maintenance_interval),
                &maintenance_ms),
           uint("create", 1, &create),
           uint("ipc_timeout_ms", absl::ToInt64Milliseconds(o.ipc_call_timeout),
                &ipc_timeout_ms),
           uint("read_only", 0, &read_only),
           uint("one_shot", 0, &one_shot),
       }) {
    if (!s.ok()) return s;
  }
  o.buffered_sync_interval = absl::Milliseconds(sync_ms);
  o.log_retention_age = absl::Seconds(age_s);
  o.maintenance_interval = absl::Milliseconds(maintenance_ms);
  o.blob_compression = compress != 0;
  o.create_if_missing = create != 0;
  o.ipc_call_timeout = absl::Milliseconds(ipc_timeout_ms);
  o.read_only = read_only != 0;
  o.one_shot = one_shot != 0;
  return o;
}

}  // namespace cask
