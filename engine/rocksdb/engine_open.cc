// Opening a store, its options, and the read path.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"
#include "engine_impl.h"
#include "ipc.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"
#include "rocksdb_status.h"
#include "testing.h"

namespace cask::engine {
namespace {

constexpr std::string_view kFormat = "cask-engine-1";
// A text file naming the format, created before the database.
constexpr const char* kMarkerFile = "CASK";
constexpr const char* kMetaCf = "meta";
constexpr const char* kDataCf = "data";
constexpr const char* kTtlCf = "ttl";
constexpr const char* kLogCf = "log";

std::string NotAStore(const std::string& path, std::string_view why) {
  return absl::StrCat("cask engine: \"", path,
                      "\" is not a cask store: ", ToAbsl(why));
}

absl::Status NotFoundOf(const std::string& key) {
  return absl::NotFoundError(absl::StrCat("key \"", key, "\" not found"));
}

std::int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace

EngineImpl::EngineImpl(std::string path, EngineOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

EngineImpl::~EngineImpl() {
  {
    absl::MutexLock lock(&bg_mu_);
    stopping_ = true;
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  if (db_ != nullptr) {
    if (options_.durability == Durability::kBuffered) {
      db_->FlushWAL(/*sync=*/true).PermitUncheckedError();
    }
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }
}

Capabilities EngineImpl::capabilities() const {
  Capabilities caps;
  caps.cas = caps.atomic_batch = caps.ttl = caps.watch = true;
  caps.max_value_bytes = options_.max_value_bytes;
  return caps;
}

absl::Status EngineImpl::Init(rocksdb::Env* env) {
  if (options_.write_buffer_bytes < (1u << 20)) {
    return absl::InvalidArgumentError(
        "cask engine: write_buffer_bytes must be at least 1 MiB");
  }
  if (options_.maintenance_interval <= absl::ZeroDuration() ||
      options_.buffered_sync_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "cask engine: maintenance and sync intervals must be positive");
  }
  if (absl::Status s = OpenDb(env); !s.ok()) return s;
  if (absl::Status s = LoadOrCreateIdentity(); !s.ok()) return s;
  bg_thread_ = std::thread([this] { MaintenanceLoop(); });
  return absl::OkStatus();
}

absl::Status EngineImpl::OpenDb(rocksdb::Env* env) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir(path_);
  const fs::path marker = dir / kMarkerFile;
  fs::file_status st = fs::status(dir, ec);
  bool is_new = false;
  if (fs::exists(st) && !fs::is_directory(st)) {
    return absl::InvalidArgumentError(NotAStore(path_, "not a directory"));
  }
  if (fs::exists(st) && !fs::is_empty(dir, ec)) {
    if (!fs::exists(marker, ec)) {
      return absl::InvalidArgumentError(NotAStore(
          path_, absl::StrCat("the directory has no ", kMarkerFile, " file")));
    }
    std::ifstream in(marker);
    std::string line;
    std::getline(in, line);
    if (line != kFormat) {
      return absl::InvalidArgumentError(NotAStore(
          path_,
          absl::StrCat("unknown format \"", line, "\" in ", kMarkerFile)));
    }
    // A marker without a database: creation was interrupted; finish it.
    is_new = !fs::exists(dir / "CURRENT", ec);
  } else {
    if (!options_.create_if_missing) {
      return absl::InvalidArgumentError(NotAStore(
          path_, "it is missing or empty (create_if_missing is off)"));
    }
    fs::create_directories(dir, ec);
    // The marker comes first: a directory with it is a cask store, so a
    // damaged database inside is reported as such (kDataLoss).
    std::ofstream out(marker, std::ios::trunc);
    out << kFormat << "\n";
    out.close();
    if (ec || !out) {
      return absl::UnavailableError(absl::StrCat(
          "cask engine: cannot create \"", path_,
          "\": ", ec ? ec.message() : "cannot write the marker file"));
    }
    is_new = true;
  }
  if (is_new && !options_.create_if_missing) {
    return absl::InvalidArgumentError(
        NotAStore(path_, "it is empty (create_if_missing is off)"));
  }

  rocksdb::DBOptions db;
  db.create_if_missing = is_new;
  db.create_missing_column_families = is_new;
  db.error_if_exists = false;
  db.paranoid_checks = true;
  if (env != nullptr) db.env = env;
  db.max_background_jobs = 2;
  db.max_open_files = 256;
  db.keep_log_file_num = 2;
  db.max_log_file_size = 1 << 20;
  db.stats_dump_period_sec = 0;
  db.stats_persist_period_sec = 0;
  db.table_cache_numshardbits = 4;
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
      options_.write_buffer_bytes);
  db.max_total_wal_size = 4 * options_.write_buffer_bytes;

  std::shared_ptr<rocksdb::Cache> cache;
  if (options_.block_cache_bytes > 0) {
    cache = rocksdb::NewLRUCache(options_.block_cache_bytes, /*shard_bits=*/2);
  }
  auto table_options = [&](bool bloom) {
    rocksdb::BlockBasedTableOptions t;
    if (cache) {
      t.block_cache = cache;
      t.cache_index_and_filter_blocks = true;
      t.pin_l0_filter_and_index_blocks_in_cache = true;
    } else {
      t.no_block_cache = true;
    }
    if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    return std::shared_ptr<rocksdb::TableFactory>(
        rocksdb::NewBlockBasedTableFactory(t));
  };
  auto cf_options = [&](bool bloom) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options_.write_buffer_bytes / 2;
    cf.max_write_buffer_number = 2;
    cf.compression = rocksdb::kLZ4Compression;
    cf.table_factory = table_options(bloom);
    cf.level_compaction_dynamic_level_bytes = true;
    return cf;
  };
  rocksdb::ColumnFamilyOptions data = cf_options(true);
  data.enable_blob_files = true;
  data.min_blob_size = 0;  // the meta CF keeps the small values
  data.blob_compression_type =
      options_.blob_compression ? rocksdb::kZSTD : rocksdb::kNoCompression;
  data.enable_blob_garbage_collection = true;
  data.blob_file_size = 64u << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options(false)},
      {kMetaCf, cf_options(true)},
      {kDataCf, data},
      {kTtlCf, cf_options(false)},
      {kLogCf, cf_options(false)},
  };

  if (!is_new) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db, path_, &names);
    if (s.IsCorruption() || s.IsPathNotFound()) {
      return absl::DataLossError(absl::StrCat(
          "cask engine: store \"", path_, "\" is corrupted: ", s.ToString()));
    }
    if (!s.ok()) return FromRocks(s, absl::StrCat("open \"", path_, "\""));
    std::vector<std::string> want;
    for (const auto& d : cfs) want.push_back(d.name);
    std::sort(names.begin(), names.end());
    std::sort(want.begin(), want.end());
    if (names != want) {
      // Creation may have been interrupted between column families; any
      // name of another kind means this is not the database we made.
      if (!std::includes(want.begin(), want.end(), names.begin(),
                         names.end())) {
        return absl::DataLossError(
            absl::StrCat("cask engine: store \"", path_,
                         "\" is corrupted: unexpected column families"));
      }
      column_families_were_missing_ = true;
      db.create_missing_column_families = true;
    }
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db, path_, cfs, &handles_, &raw);
  if (!s.ok()) {
    if (s.IsCorruption() || s.IsPathNotFound()) {
      return absl::DataLossError(absl::StrCat(
          "cask engine: store \"", path_, "\" is corrupted: ", s.ToString()));
    }
    return FromRocks(s, absl::StrCat("open \"", path_, "\""));
  }
  db_.reset(raw);
  sys_cf_ = handles_[0];
  meta_cf_ = handles_[1];
  data_cf_ = handles_[2];
  ttl_cf_ = handles_[3];
  log_cf_ = handles_[4];
  return absl::OkStatus();
}

absl::Status EngineImpl::LoadOrCreateIdentity() {
  rocksdb::ReadOptions ro;
  std::string format;
  rocksdb::Status s = db_->Get(ro, sys_cf_, kSysFormat, &format);
  if (s.IsNotFound()) {
    // A new store, or one whose creation was interrupted before its
    // identity was written: then it holds nothing else either.
    for (rocksdb::ColumnFamilyHandle* cf : {meta_cf_, log_cf_}) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
      it->SeekToFirst();
      if (it->Valid()) {
        return absl::DataLossError(absl::StrCat("cask engine: store \"", path_,
                                                "\" has data but no identity"));
      }
    }
    std::random_device rd;
    store_id_ = absl::StrFormat("%08x%08x", rd(), rd());
    rocksdb::WriteBatch batch;
    batch.Put(sys_cf_, kSysStoreId, store_id_);
    batch.Put(sys_cf_, kSysRevision, EncodeFixed64(0));
    batch.Put(sys_cf_, kSysTrimmed, EncodeFixed64(0));
    batch.Put(sys_cf_, kSysFormat, std::string(kFormat));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &batch), "create store identity");
  }
  if (!s.ok()) return FromRocks(s, "read store format");
  if (column_families_were_missing_) {
    // The identity is written after every column family exists.
    return absl::DataLossError(
        absl::StrCat("cask engine: store \"", path_,
                     "\" is corrupted: column families are missing"));
  }
  if (format != kFormat) {
    return absl::InvalidArgumentError(
        NotAStore(path_, absl::StrCat("unknown format \"", format, "\"")));
  }
  std::string revision, trimmed;
  s = db_->Get(ro, sys_cf_, kSysStoreId, &store_id_);
  if (s.ok()) s = db_->Get(ro, sys_cf_, kSysRevision, &revision);
  if (s.ok()) s = db_->Get(ro, sys_cf_, kSysTrimmed, &trimmed);
  if (s.IsNotFound() ||
      (s.ok() && (revision.size() != 8 || trimmed.size() != 8 ||
                  store_id_.size() != 16))) {
    return absl::DataLossError(absl::StrCat("cask engine: store \"", path_,
                                            "\" has a damaged identity"));
  }
  if (!s.ok()) return FromRocks(s, "read store identity");
  // The revision is the newest log record's; the trimmer records it too
  // (kSysRevision) in case it trims every record.
  std::uint64_t rev = DecodeFixed64(revision.data());
  const std::uint64_t trimmed_through = DecodeFixed64(trimmed.data());
  rev = std::max(rev, trimmed_through);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  it->SeekToLast();
  if (it->Valid()) {
    rocksdb::Slice k = it->key();
    if (k.size() != 8) {
      return absl::DataLossError(absl::StrCat("cask engine: store \"", path_,
                                              "\": damaged change-log key"));
    }
    rev = std::max(rev, DecodeFixed64(k.data()));
  } else if (!it->status().ok()) {
    return FromRocks(it->status(), "read change log");
  }
  {
    absl::MutexLock lock(&write_mu_);
    next_revision_ = rev + 1;
  }
  committed_revision_.store(rev);
  trimmed_through_.store(trimmed_through);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<MetaRecord>> EngineImpl::ReadMeta(
    const std::string& key, std::string* value) {
  rocksdb::PinnableSlice slice;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &slice);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, absl::StrCat("read \"", key, "\""));
  std::string_view inline_value;
  absl::StatusOr<MetaRecord> meta =
      DecodeMeta(std::string_view(slice.data(), slice.size()), &inline_value);
  if (!meta.ok()) {
    return absl::DataLossError(
        absl::StrCat(meta.status().message(), " for key \"", key, "\""));
  }
  if (meta->ExpiredAt(NowMicros())) return std::nullopt;
  if (value != nullptr) value->assign(inline_value);
  return *meta;
}

absl::StatusOr<Item> EngineImpl::DoGet(const std::string& key) {
  std::uint64_t last_seen = 0;
  for (;;) {
    Item item;
    absl::StatusOr<std::optional<MetaRecord>> meta = ReadMeta(key, &item.value);
    if (!meta.ok()) return meta.status();
    if (!meta->has_value()) return NotFoundOf(key);
    const MetaRecord& m = **meta;
    item.meta = ToMeta(m, store_id_);
    if (!m.out_of_line) return item;
    // Out of line: the data record must carry the same revision, else a
    // writer replaced the key between the two reads; read again.
    std::string buf;
    rocksdb::PinnableSlice data(&buf);
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), data_cf_, key, &data);
    if (!s.ok() && !s.IsNotFound()) {
      return FromRocks(s, absl::StrCat("read \"", key, "\""));
    }
    if (s.ok() && data.size() >= kDataHeaderBytes &&
        DecodeFixed64(data.data()) == m.revision) {
      if (data.size() - kDataHeaderBytes != m.size) {
        return absl::DataLossError(absl::StrCat("cask engine: value of \"", key,
                                                "\" has the wrong size"));
      }
      if (data.IsPinned() || data.data() != buf.data() ||
          data.size() != buf.size()) {
        item.value.assign(data.data() + kDataHeaderBytes, m.size);
      } else {
        data.Reset();  // the bytes are in buf; take them without a copy
        buf.erase(0, kDataHeaderBytes);
        item.value = std::move(buf);
      }
      return item;
    }
    if (m.revision == last_seen) {
      return absl::DataLossError(absl::StrCat("cask engine: value of \"", key,
                                              "\" (revision ", m.revision,
                                              ") is missing"));
    }
    last_seen = m.revision;
  }
}

absl::StatusOr<Meta> EngineImpl::DoGetMeta(const std::string& key) {
  absl::StatusOr<std::optional<MetaRecord>> meta = ReadMeta(key, nullptr);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return NotFoundOf(key);
  return ToMeta(**meta, store_id_);
}

absl::StatusOr<std::vector<std::string>> EngineImpl::DoKeys(
    const std::string& base) {
  std::vector<std::string> out;
  rocksdb::ReadOptions ro;
  std::string lower = base.empty() ? "" : absl::StrCat(base, ":");
  std::string upper = absl::StrCat(base, ";");  // ':' + 1
  rocksdb::Slice upper_slice(upper);
  if (!base.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
  std::int64_t now = NowMicros();
  for (it->Seek(lower); it->Valid(); it->Next()) {
    rocksdb::Slice v = it->value();
    absl::StatusOr<MetaRecord> meta =
        DecodeMeta(std::string_view(v.data(), v.size()), nullptr);
    if (!meta.ok()) return meta.status();
    if (meta->ExpiredAt(now)) continue;
    out.push_back(it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list keys");
  return out;
}

absl::Status EngineImpl::Compact() {
  rocksdb::FlushOptions fo;
  if (rocksdb::Status s = db_->Flush(fo, handles_); !s.ok()) {
    return FromRocks(s, "flush");
  }
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (rocksdb::Status s = db_->CompactRange(co, h, nullptr, nullptr);
        !s.ok()) {
      return FromRocks(s, "compact");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EngineImpl>> OpenEngineImpl(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env) {
  if (path.empty()) {
    return absl::InvalidArgumentError("cask engine: empty store path");
  }
  auto engine = std::make_unique<EngineImpl>(std::string(path), options);
  if (absl::Status s = engine->Init(env); !s.ok()) return s;
  return engine;
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithEnv(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env) {
  absl::StatusOr<std::unique_ptr<EngineImpl>> engine =
      OpenEngineImpl(path, options, env);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Engine>(*std::move(engine));
}

}  // namespace cask::engine

namespace cask {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    std::string_view path, const EngineOptions& options) {
  // Issue 4: serve other processes, or forward to the one that owns it.
  return engine::ipc::Open(std::string(path), options);
}

absl::StatusOr<std::unique_ptr<Driver>> OpenEngineUri(std::string_view uri) {
  absl::StatusOr<EngineOptions> options = EngineOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open(options->path, *options);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Driver>(*std::move(engine));
}

}  // namespace cask
