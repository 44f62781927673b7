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
#include "batch_ingest.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"
#include "db_options.h"
#include "engine_impl.h"
#include "ipc.h"
#include "ipc_dir_lock.h"
#include "rocksdb_status.h"
#include "store_dir.h"
#include "testing.h"
#include "wal_check.h"

namespace cask::engine {
namespace {

constexpr std::string_view kFormat = kStoreFormat;

// A store's path in a message: it comes from the caller (a URI), so it is
// escaped and capped like any echoed input, with room for a long real path.
constexpr std::size_t kMaxQuotedPathBytes = 1024;
std::string QuotedPath(const std::string& path) {
  return QuoteForMessage(path, kMaxQuotedPathBytes);
}

std::string NotAStore(const std::string& path, std::string_view why) {
  return absl::StrCat("cask engine: ", QuotedPath(path),
                      " is not a cask store: ", ToAbsl(why));
}

std::int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// RocksDB's info log discarded. A read-only open would otherwise rotate
// the store's LOG file (a write to a directory it is not to change, or
// cannot) and format a few hundred lines of options into it, about a
// third of a one-shot read's open (docs/benchmarks/cli.md).
class DiscardingLogger final : public rocksdb::Logger {
 public:
  DiscardingLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// The default Env, except that opening a database starts none of its
// background threads: a read-only database never flushes or compacts, and
// they were two of a one-shot read's thread starts.
class NoBackgroundThreadsEnv final : public rocksdb::EnvWrapper {
 public:
  NoBackgroundThreadsEnv() : rocksdb::EnvWrapper(rocksdb::Env::Default()) {}
  const char* Name() const override { return "CaskNoBackgroundThreadsEnv"; }
  void IncBackgroundThreadsIfNeeded(int, Priority) override {}
};

// What a read-only open needs of `db`, nothing more: no info log, no
// background threads, and table files opened by the calling thread (by
// default RocksDB starts 16 threads per column family to open them: 80
// thread starts for a store of five column families).
void ReadOnlyDbOptions(rocksdb::DBOptions& db, bool default_env) {
  db.info_log = std::make_shared<DiscardingLogger>();
  db.info_log_level = rocksdb::InfoLogLevel::HEADER_LEVEL;
  db.max_file_opening_threads = 1;
  if (default_env) {
    static NoBackgroundThreadsEnv* const env = new NoBackgroundThreadsEnv();
    db.env = env;
  }
}

// kSysReserved: the revision, then the boot id of the machine that made the
// reservation.
std::string EncodeReservation(std::uint64_t revision) {
  return absl::StrCat(EncodeFixed64(revision), BootId());
}

std::string NewStoreId() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

// RocksDB copies a memtable hit into the PinnableSlice's buffer. One buffer
// per thread, kept across reads, so that a read does not allocate it
// afresh; one grown past this size is freed after the read.
constexpr std::size_t kReadScratchKeepBytes = 64u << 10;

class ReadScratch {
 public:
  ReadScratch() : buf_(Buffer()) {}
  ~ReadScratch() {
    if (buf_.capacity() > kReadScratchKeepBytes) std::string().swap(buf_);
  }
  ReadScratch(const ReadScratch&) = delete;
  ReadScratch& operator=(const ReadScratch&) = delete;
  std::string* get() { return &buf_; }

 private:
  static std::string& Buffer() {
    thread_local std::string buf;
    return buf;
  }
  std::string& buf_;
};

}  // namespace

EngineImpl::EngineImpl(std::string path, EngineOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

EngineImpl::~EngineImpl() {
  {
    absl::MutexLock lock(&bg_mu_);
    stopping_ = true;
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  if (db_ == nullptr) return;
  if (!read_only_db_) {
    bool healthy = false;
    {
      absl::MutexLock lock(&write_mu_);
      healthy = write_error_.ok();
    }
    // A store that failed a write is left as it is: its disk is full or
    // failing, and RocksDB would retry a failed compaction for seconds.
    if (healthy) FlushLargeMemtables();
    WaitForCompactions();
    if (healthy) MergeSmallTableFiles();
    absl::MutexLock lock(&write_mu_);
    const std::uint64_t last = next_revision_ - 1;
    if (write_error_.ok() && db_->FlushWAL(/*sync=*/true).ok()) {
      // Everything issued is on disk: the next session need not skip the
      // rest of the reserved block, and may check that nothing is missing.
      bool synced = true;
      if (reserved_through_ > last) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        synced =
            db_->Put(wo, sys_cf_, kSysReserved, EncodeReservation(last)).ok();
      }
      if (synced && last > 0 && last != closed_revision_) {
        WriteMarker(path_, Marker{MarkerState::kCreated, last}).IgnoreError();
      }
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

Capabilities EngineImpl::capabilities() const {
  Capabilities caps;
  caps.cas = caps.atomic_batch = caps.ttl = caps.watch = true;
  caps.snapshot = caps.get_at = true;
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
  if (read_only_db_) {
    // Nothing to reap, trim or sync; writes are refused up front.
    absl::MutexLock lock(&write_mu_);
    write_error_ = absl::PermissionDeniedError(absl::StrCat(
        "cask engine: store ", QuotedPath(path_),
        owner_lock_ != nullptr
            ? " is open for one-shot reads: open it without one_shot to write"
            : " is open read-only: this process cannot write its directory"));
    return absl::OkStatus();
  }
  RemoveIngestScratch(path_);
  bg_thread_ = std::thread([this] { MaintenanceLoop(); });
  return absl::OkStatus();
}

absl::Status EngineImpl::OpenDb(rocksdb::Env* env) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir(path_);
  fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    return absl::InvalidArgumentError(NotAStore(path_, "not a directory"));
  }
  const bool may_create = options_.create_if_missing && !options_.read_only;
  auto missing = [&](std::string_view why) {
    return absl::NotFoundError(absl::StrCat(
        "cask engine: no store at ", QuotedPath(path_), ": ", ToAbsl(why)));
  };
  MarkerState state = MarkerState::kCreating;
  if (fs::exists(st) && !IsEmptyStoreDir(path_)) {
    absl::StatusOr<Marker> marker = ReadMarker(path_);
    if (marker.status().code() == absl::StatusCode::kNotFound ||
        marker.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(
          NotAStore(path_, std::string(marker.status().message())));
    }
    if (!marker.ok()) return marker.status();
    state = marker->state;
    closed_revision_ = marker->closed_revision;
  } else {
    if (!may_create) {
      return missing(fs::exists(st) ? "the directory is empty"
                                    : "the directory does not exist");
    }
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cask engine: cannot create ",
                                                 QuotedPath(path_), ": ",
                                                 ec.message()));
    }
    // The marker comes first: a directory with it is a cask store, so a
    // damaged database inside is reported as such (kDataLoss).
    if (absl::Status s = WriteMarker(path_, Marker{}); !s.ok()) {
      return s;
    }
  }
  // Without CURRENT RocksDB would make a new, empty database and then
  // delete every file of the old one as obsolete. Only a creation that
  // never finished (nothing acknowledged yet) may start again.
  bool is_new = false;
  if (!fs::exists(dir / "CURRENT", ec)) {
    if (state == MarkerState::kCreated || HasDatabaseFiles(path_)) {
      return absl::DataLossError(absl::StrCat(
          "cask engine: store ", QuotedPath(path_),
          " is damaged: its CURRENT file is missing (nothing was changed; "
          "`cask repair` salvages what is left)"));
    }
    if (!may_create) return missing("its creation never finished");
    is_new = true;
  }
  // RocksDB would take damage in a WAL's last block for a torn tail and
  // drop the records after it; refuse before anything is replayed.
  if (absl::Status s = CheckWals(path_); !s.ok()) return s;
  creating_ = state == MarkerState::kCreating;
  if (options_.read_only &&
      (owner_lock_ != nullptr || !CheckDirectoryWritable(path_).ok())) {
    read_only_db_ = true;
  }

  rocksdb::DBOptions db = MakeDbOptions(options_, env);
  if (read_only_db_) ReadOnlyDbOptions(db, /*default_env=*/env == nullptr);
  // A process that writes once and exits must not leave table files behind.
  db.avoid_flush_during_recovery =
      !is_new && !read_only_db_ && ReplayWalsWithoutFlush(path_);
  db.create_if_missing = is_new;
  db.create_missing_column_families = is_new || creating_;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs =
      MakeColumnFamilies(options_);

  if (!is_new) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db, path_, &names);
    if (s.IsCorruption() || s.IsPathNotFound()) {
      return absl::DataLossError(absl::StrCat("cask engine: store ",
                                              QuotedPath(path_),
                                              " is corrupted: ", s.ToString()));
    }
    if (!s.ok()) return FromRocks(s, absl::StrCat("open ", QuotedPath(path_)));
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
            absl::StrCat("cask engine: store ", QuotedPath(path_),
                         " is corrupted: unexpected column families"));
      }
      if (read_only_db_) return missing("its creation never finished");
      column_families_were_missing_ = true;
      db.create_missing_column_families = true;
    }
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      read_only_db_
          ? rocksdb::DB::OpenForReadOnly(db, path_, cfs, &handles_, &raw)
          : rocksdb::DB::Open(db, path_, cfs, &handles_, &raw);
  if (!s.ok()) {
    if (s.IsCorruption() || s.IsPathNotFound()) {
      return absl::DataLossError(absl::StrCat("cask engine: store ",
                                              QuotedPath(path_),
                                              " is corrupted: ", s.ToString()));
    }
    if (s.IsIOError()) {
      // Decided from errno and the kernel's lock table, not RocksDB's text.
      if (std::optional<absl::Status> why = ExplainOpenFailure(path_)) {
        return *why;
      }
    }
    return FromRocks(s, absl::StrCat("open ", QuotedPath(path_)));
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
    if (!creating_) {
      return absl::DataLossError(
          absl::StrCat("cask engine: store ", QuotedPath(path_),
                       " is damaged: its identity is "
                       "missing (`cask repair` salvages what is left)"));
    }
    if (read_only_db_) {
      return absl::NotFoundError(absl::StrCat("cask engine: no store at ",
                                              QuotedPath(path_),
                                              ": its creation never finished"));
    }
    // A new store, or one whose creation was interrupted before its
    // identity was written: then it holds nothing else either.
    for (rocksdb::ColumnFamilyHandle* cf : {meta_cf_, log_cf_}) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
      it->SeekToFirst();
      if (it->Valid()) {
        return absl::DataLossError(absl::StrCat("cask engine: store ",
                                                QuotedPath(path_),
                                                " has data but no identity"));
      }
    }
    store_id_ = NewStoreId();
    rocksdb::WriteBatch batch;
    batch.Put(sys_cf_, kSysStoreId, store_id_);
    batch.Put(sys_cf_, kSysRevision, EncodeFixed64(0));
    batch.Put(sys_cf_, kSysTrimmed, EncodeFixed64(0));
    batch.Put(sys_cf_, kSysFormat, std::string(kFormat));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (absl::Status w =
            FromRocks(db_->Write(wo, &batch), "create store identity");
        !w.ok()) {
      return w;
    }
    return FinishCreation();
  }
  if (!s.ok()) return FromRocks(s, "read store format");
  if (column_families_were_missing_ && !creating_) {
    // The identity is written after every column family exists.
    return absl::DataLossError(
        absl::StrCat("cask engine: store ", QuotedPath(path_),
                     " is corrupted: column families are missing"));
  }
  if (format != kFormat) {
    return absl::InvalidArgumentError(NotAStore(
        path_, absl::StrCat("unknown format ", QuoteForMessage(format))));
  }
  std::string revision, trimmed, reserved;
  s = db_->Get(ro, sys_cf_, kSysStoreId, &store_id_);
  if (s.ok()) s = db_->Get(ro, sys_cf_, kSysRevision, &revision);
  if (s.ok()) s = db_->Get(ro, sys_cf_, kSysTrimmed, &trimmed);
  if (s.IsNotFound() ||
      (s.ok() && (revision.size() != 8 || trimmed.size() != 8 ||
                  store_id_.size() != kStoreIdBytes))) {
    return absl::DataLossError(absl::StrCat(
        "cask engine: store ", QuotedPath(path_), " has a damaged identity"));
  }
  if (!s.ok()) return FromRocks(s, "read store identity");
  s = db_->Get(ro, sys_cf_, kSysReserved, &reserved);
  if (s.IsNotFound()) {
    reserved = EncodeFixed64(0);  // a store from before reservations
  } else if (!s.ok()) {
    return FromRocks(s, "read store identity");
  } else if (reserved.size() < 8) {
    return absl::DataLossError(absl::StrCat(
        "cask engine: store ", QuotedPath(path_), " has a damaged identity"));
  }
  // The revision is the newest log record's; the trimmer records it too
  // (kSysRevision) in case it trims every record. Revisions up to the
  // reservation may have been issued by a buffered session whose log
  // records were lost with the page cache — but only if the machine went
  // down since (a new boot id): after a mere process crash the kernel
  // still had every WAL write, so nothing issued was lost and no gap is
  // needed.
  std::uint64_t rev = DecodeFixed64(revision.data());
  const std::uint64_t trimmed_through = DecodeFixed64(trimmed.data());
  rev = std::max(rev, trimmed_through);
  const std::string reserved_boot = reserved.substr(8);
  if (reserved_boot.empty() || reserved_boot != BootId()) {
    rev = std::max(rev, DecodeFixed64(reserved.data()));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  it->SeekToLast();
  if (it->Valid()) {
    rocksdb::Slice k = it->key();
    if (k.size() != 8) {
      return absl::DataLossError(absl::StrCat("cask engine: store ",
                                              QuotedPath(path_),
                                              ": damaged change-log key"));
    }
    rev = std::max(rev, DecodeFixed64(k.data()));
  } else if (!it->status().ok()) {
    return FromRocks(it->status(), "read change log");
  }
  if (rev < closed_revision_) {
    return absl::DataLossError(absl::StrCat(
        "cask engine: store ", QuotedPath(path_),
        " is damaged: it was closed at "
        "revision ",
        closed_revision_, " but its files end at revision ", rev,
        ": acknowledged writes are missing (a WAL file deleted or cut short; "
        "`cask repair` salvages what is left)"));
  }
  {
    absl::MutexLock lock(&write_mu_);
    next_revision_ = rev + 1;
    reserved_through_ = rev;
  }
  committed_revision_.store(rev);
  trimmed_through_.store(trimmed_through);
  if (creating_ && !read_only_db_) return FinishCreation();
  return absl::OkStatus();
}

absl::Status EngineImpl::FinishCreation() {
  if (absl::Status s = WriteMarker(path_, Marker{MarkerState::kCreated, 0});
      !s.ok()) {
    return s;
  }
  creating_ = false;
  return absl::OkStatus();
}

bool EngineImpl::ReserveRevisions(rocksdb::WriteBatch* batch) {
  const std::uint64_t last = next_revision_ - 1;
  if (options_.durability == Durability::kDurable ||
      last <= reserved_through_) {
    return false;
  }
  reserved_through_ = last + kRevisionBlock;
  batch->Put(sys_cf_, kSysReserved, EncodeReservation(reserved_through_));
  return true;
}

const rocksdb::ReadOptions& LatestReadOptions() {
  static const rocksdb::ReadOptions options;
  return options;
}

bool EngineImpl::ReadPoint::Expired(const MetaRecord& record) const {
  if (record.expires_micros == 0) return false;
  return record.ExpiredAt(now_micros.has_value() ? *now_micros : NowMicros());
}

absl::StatusOr<std::optional<MetaRecord>> EngineImpl::ReadMeta(
    const std::string& key, std::string* value) {
  return ReadMetaAt(ReadPoint{}, key, value);
}

absl::StatusOr<std::optional<MetaRecord>> EngineImpl::ReadMetaAt(
    const ReadPoint& at, const std::string& key, std::string* value) {
  std::optional<rocksdb::ReadOptions> at_snapshot;
  if (at.snapshot != nullptr) {
    at_snapshot.emplace();
    at_snapshot->snapshot = at.snapshot;
  }
  const rocksdb::ReadOptions& ro =
      at_snapshot.has_value() ? *at_snapshot : LatestReadOptions();
  ReadScratch scratch;  // declared first: outlives the slice that uses it
  rocksdb::PinnableSlice slice(scratch.get());
  rocksdb::Status s = db_->Get(ro, meta_cf_, key, &slice);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, absl::StrCat("read ", QuoteForMessage(key)));
  std::string_view inline_value;
  absl::StatusOr<MetaRecord> meta =
      DecodeMeta(std::string_view(slice.data(), slice.size()), &inline_value);
  if (!meta.ok()) {
    return absl::DataLossError(absl::StrCat(meta.status().message(),
                                            " for key ", QuoteForMessage(key)));
  }
  if (at.Expired(*meta)) return std::nullopt;
  if (value != nullptr) value->assign(inline_value);
  return *meta;
}

absl::StatusOr<Item> EngineImpl::DoGet(const std::string& key) {
  return ReadItemAt(ReadPoint{}, key);
}

absl::Status EngineImpl::DoGetInto(const std::string& key, Item* item) {
  return ReadItemInto(ReadPoint{}, key, item);
}

absl::StatusOr<Item> EngineImpl::ReadItemAt(const ReadPoint& at,
                                            const std::string& key) {
  Item item;
  if (absl::Status s = ReadItemInto(at, key, &item); !s.ok()) return s;
  return item;
}

absl::Status EngineImpl::ReadItemInto(const ReadPoint& at,
                                      const std::string& key, Item* item) {
  std::uint64_t last_seen = 0;
  for (;;) {
    absl::StatusOr<std::optional<MetaRecord>> meta =
        ReadMetaAt(at, key, &item->value);
    if (!meta.ok()) return meta.status();
    if (!meta->has_value()) return KeyNotFoundError(key);
    const MetaRecord& m = **meta;
    FillMeta(m, store_id_, &item->meta);
    if (!m.out_of_line) return absl::OkStatus();
    // Out of line: the data record must carry the same revision, else a
    // writer replaced the key between the two reads; read again. RocksDB
    // copies an unpinned record into item->value, reusing its buffer.
    rocksdb::ReadOptions ro;
    ro.snapshot = at.snapshot;
    rocksdb::PinnableSlice data(&item->value);
    rocksdb::Status s = db_->Get(ro, data_cf_, key, &data);
    if (!s.ok() && !s.IsNotFound()) {
      return FromRocks(s, absl::StrCat("read ", QuoteForMessage(key)));
    }
    if (s.ok() && data.size() >= kDataHeaderBytes &&
        DecodeFixed64(data.data()) == m.revision) {
      if (data.size() - kDataHeaderBytes != m.size) {
        return absl::DataLossError(absl::StrCat("cask engine: value of ",
                                                QuoteForMessage(key),
                                                " has the wrong size"));
      }
      if (data.IsPinned() || data.data() != item->value.data() ||
          data.size() != item->value.size()) {
        item->value.assign(data.data() + kDataHeaderBytes, m.size);
      } else {
        data.Reset();  // the bytes are in item->value: drop the header
        item->value.erase(0, kDataHeaderBytes);
      }
      return absl::OkStatus();
    }
    if (m.revision == last_seen) {
      return absl::DataLossError(
          absl::StrCat("cask engine: value of ", QuoteForMessage(key),
                       " (revision ", m.revision, ") is missing"));
    }
    last_seen = m.revision;
  }
}

absl::StatusOr<Meta> EngineImpl::DoGetMeta(const std::string& key) {
  absl::StatusOr<std::optional<MetaRecord>> meta = ReadMeta(key, nullptr);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return KeyNotFoundError(key);
  return ToMeta(**meta, store_id_);
}

absl::StatusOr<bool> EngineImpl::DoHas(const std::string& key) {
  absl::StatusOr<std::optional<MetaRecord>> meta = ReadMeta(key, nullptr);
  if (!meta.ok()) return meta.status();
  return meta->has_value();
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

void EngineImpl::HoldOwnerLock(std::unique_ptr<ipc::DirLock> lock) {
  owner_lock_ = std::move(lock);
}

absl::StatusOr<std::unique_ptr<EngineImpl>> OpenOneShotReader(
    std::string_view path, const EngineOptions& options,
    std::unique_ptr<ipc::DirLock> owner_lock) {
  auto engine = std::make_unique<EngineImpl>(std::string(path), options);
  engine->HoldOwnerLock(std::move(owner_lock));
  if (absl::Status s = engine->Init(nullptr); !s.ok()) return s;
  return engine;
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngineWithEnv(
    std::string_view path, const EngineOptions& options, rocksdb::Env* env) {
  absl::StatusOr<std::unique_ptr<EngineImpl>> engine =
      OpenEngineImpl(path, options, env);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Engine>(*std::move(engine));
}

void TEST_SetBootId(std::string boot_id) {
  SetBootIdForTest(std::move(boot_id));
}

}  // namespace cask::engine

namespace cask {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    std::string_view path, const EngineOptions& options) {
  // Serve other processes, or forward to the one that owns the store.
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
