// Paged scans of the engine: a RocksDB iterator over the meta column
// family, seeked past start_after and stopped at the base's upper bound or
// at the page limit, so a page costs O(limit) memory whatever the store's
// size.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine_impl.h"
#include "rocksdb/snapshot.h"
#include "rocksdb_status.h"

namespace cask::engine {
namespace {
// Most entries reserved up front (a larger limit grows the page).
constexpr std::size_t kScanReserve = 4096;
}  // namespace

absl::StatusOr<ScanPage> EngineImpl::DoScan(const std::string& base,
                                            const ScanOptions& options) {
  return ScanAt(base, options, nullptr, absl::ToUnixMicros(absl::Now()));
}

absl::StatusOr<ScanPage> EngineImpl::ScanAt(const std::string& base,
                                            const ScanOptions& options,
                                            const rocksdb::Snapshot* snapshot,
                                            std::int64_t now_micros) {
  // One page reads one state: the meta records and the out-of-line values
  // they point to come from the same RocksDB snapshot, so a value always
  // belongs to the metadata listed with it.
  std::optional<rocksdb::ManagedSnapshot> page_snapshot;
  if (snapshot == nullptr) {
    page_snapshot.emplace(db_.get());
    snapshot = page_snapshot->snapshot();
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  // A scan reads each block once, in order: it must not evict the blocks
  // point lookups keep hot, nor pay a cache insertion per block.
  ro.fill_cache = false;
  const std::string lower = ScanLowerBound(base, options.start_after);
  const std::string upper = ScanUpperBound(base);
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));

  ScanPage page;
  // Growing the page would move every entry listed so far, again and again.
  page.entries.reserve(std::min<std::size_t>(options.limit, kScanReserve));
  it->Seek(lower);
  if (it->Valid() && it->key() == rocksdb::Slice(lower)) it->Next();
  for (; it->Valid(); it->Next()) {
    if (page.entries.size() == options.limit) {
      // More keys follow: the caller continues after the last one listed.
      page.next_after = page.entries.back().key;
      break;
    }
    rocksdb::Slice v = it->value();
    std::string_view inline_value;
    absl::StatusOr<MetaRecord> meta =
        DecodeMeta(std::string_view(v.data(), v.size()), &inline_value);
    if (!meta.ok()) {
      return absl::DataLossError(absl::StrCat(
          meta.status().message(), " for key \"", it->key().ToString(), "\""));
    }
    if (meta->ExpiredAt(now_micros)) continue;
    ScanEntry& entry = page.entries.emplace_back();
    entry.key = it->key().ToString();
    entry.meta = ToMeta(*meta, store_id_);
    if (!options.with_values) continue;
    if (!meta->out_of_line) {
      entry.value.assign(inline_value);
      continue;
    }
    rocksdb::PinnableSlice data;
    rocksdb::Status s = db_->Get(ro, data_cf_, entry.key, &data);
    if (!s.ok() && !s.IsNotFound()) {
      return FromRocks(s, absl::StrCat("read \"", entry.key, "\""));
    }
    if (!s.ok() || data.size() < kDataHeaderBytes ||
        DecodeFixed64(data.data()) != meta->revision ||
        data.size() - kDataHeaderBytes != meta->size) {
      return absl::DataLossError(
          absl::StrCat("cask engine: value of \"", entry.key, "\" (revision ",
                       meta->revision, ") is missing or has the wrong size"));
    }
    entry.value.assign(data.data() + kDataHeaderBytes, meta->size);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan keys");
  return page;
}

}  // namespace cask::engine
