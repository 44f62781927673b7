// cask export / cask import: any store to any store through the dump
// format (tools/dump/dump.h).
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "commands.h"
#include "dump.h"
#include "nlohmann/json.hpp"
#include "progress.h"

namespace cask::cli {

absl::Status RunExport(const Context& ctx, const std::string& base) {
  if (isatty(fileno(ctx.out))) {
    return absl::InvalidArgumentError(
        "refusing to write a binary dump to a terminal; redirect stdout");
  }
  // Keys first, then each value: memory holds the key list, never all the
  // values. A key removed meanwhile is skipped; the dump is not a snapshot
  // unless the store is quiet.
  absl::StatusOr<std::vector<std::string>> keys = ctx.store->Keys(base);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<dump::DumpWriter> writer = dump::DumpWriter::Open(ctx.out);
  if (!writer.ok()) return writer.status();
  Progress progress("exported");
  progress.ExpectKeys(keys->size());
  for (const std::string& key : *keys) {
    absl::StatusOr<Item> item = ctx.store->Get(key);
    if (item.status().code() == absl::StatusCode::kNotFound) continue;
    if (!item.ok()) return item.status();
    if (absl::Status s =
            writer->Add({key, std::move(item->value), item->meta.expires});
        !s.ok()) {
      return s;
    }
    progress.Update(writer->totals().value_bytes, writer->totals().items);
  }
  if (absl::Status s = writer->Finish(); !s.ok()) return s;
  progress.Finish(writer->totals().value_bytes, writer->totals().items);
  return absl::OkStatus();
}

absl::Status RunImport(const Context& ctx, bool atomic) {
  absl::StatusOr<dump::DumpReader> reader = dump::DumpReader::Open(ctx.in);
  if (!reader.ok()) return reader.status();
  Progress progress("imported");
  progress.ExpectInput(ctx.in);
  Batch batch;  // --atomic only: the whole dump, verified before any write
  std::uint64_t written = 0, expired = 0;
  while (true) {
    absl::StatusOr<std::optional<dump::Record>> next = reader->Next();
    if (!next.ok()) {
      return absl::Status(
          next.status().code(),
          absl::StrCat(next.status().message(),
                       atomic ? "; nothing imported"
                              : absl::StrCat("; ", written,
                                             " keys imported before it")));
    }
    if (!next->has_value()) break;
    dump::Record& r = **next;
    WriteOptions options;
    if (r.expires) {
      options.ttl = *r.expires - absl::Now();
      if (options.ttl <= absl::ZeroDuration()) {
        ++expired;
        continue;
      }
    }
    if (atomic) {
      batch.Put(r.key, r.value, options);
    } else {
      absl::StatusOr<std::string> etag =
          ctx.store->Set(r.key, r.value, options);
      if (!etag.ok()) {
        return absl::Status(etag.status().code(),
                            absl::StrCat(etag.status().message(), "; ", written,
                                         " keys imported before it"));
      }
      ++written;
    }
    progress.Update(reader->totals().value_bytes, reader->totals().items);
  }
  if (atomic) {
    absl::StatusOr<CommitResult> r = ctx.store->Commit(batch);
    if (!r.ok()) return r.status();
    written = batch.size();
  }
  progress.Finish(reader->totals().value_bytes, reader->totals().items);
  if (ctx.json) {
    nlohmann::json j = {{"imported", written}, {"skipped_expired", expired}};
    std::fprintf(ctx.out, "%s\n", j.dump().c_str());
  }
  return absl::OkStatus();
}

}  // namespace cask::cli
