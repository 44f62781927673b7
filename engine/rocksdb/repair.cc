// Engine::Repair: explicit salvage of a damaged store.
//
// First the store is opened as it is, skipping WAL records that fail
// their checksum; if that fails, RocksDB's repairer rebuilds the MANIFEST
// from the table, blob and WAL files it can read (moving unusable files to
// lost/). Then this file makes the result a consistent cask store: keys
// whose out-of-line value is gone and unreadable log records are removed,
// the writes the change log shows but the data lacks are reported, the
// revision is set past every revision found, and the store gets a new id,
// so that no etag issued before the damage matches any more.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cask/engine.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "db_options.h"
#include "encoding.h"
#include "engine_impl.h"
#include "rocksdb_status.h"
#include "store_dir.h"
#include "wal_check.h"

namespace cask {
namespace {

using engine::DecodeFixed64;
using engine::EncodeFixed64;

// A key named in the report: whole (a key is at most kMaxKeyBytes), but
// escaped, since a damaged record's key may hold any bytes.
std::string ReportedKey(std::string_view key) {
  return QuoteForMessage(key, kMaxKeyBytes);
}

// Holds the directory's flock, as the many-process layer does, so that no
// process opens the store while it is repaired.
class RepairLock {
 public:
  explicit RepairLock(const std::string& dir)
      : fd_(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~RepairLock() {
    if (fd_ >= 0) close(fd_);
  }
  bool Take() { return fd_ >= 0 && flock(fd_, LOCK_EX | LOCK_NB) == 0; }

 private:
  const int fd_;
};

std::string RangeText(std::uint64_t from, std::uint64_t to) {
  return from == to
             ? absl::StrCat("revision ", from, " (key unknown)")
             : absl::StrCat("revisions ", from, "..", to, " (keys unknown)");
}

// After RocksDB's repair: checks data against meta and the log, removes
// what cannot be read, writes a new identity. `db` has the five families.
absl::Status Reconcile(rocksdb::DB* db,
                       const std::vector<rocksdb::ColumnFamilyHandle*>& cf,
                       std::uint64_t closed_revision, RepairReport* report) {
  rocksdb::ColumnFamilyHandle* sys = cf[0];
  rocksdb::ColumnFamilyHandle* meta = cf[1];
  rocksdb::ColumnFamilyHandle* data = cf[2];
  rocksdb::ColumnFamilyHandle* log = cf[4];
  rocksdb::ReadOptions ro;
  rocksdb::WriteBatch fix;
  std::uint64_t top = 0;

  auto fixed = [&](const char* key) -> std::uint64_t {
    std::string v;
    if (!db->Get(ro, sys, key, &v).ok() || v.size() < 8) return 0;
    return DecodeFixed64(v.data());
  };
  std::string old_id;
  if (db->Get(ro, sys, engine::kSysStoreId, &old_id).ok()) {
    report->old_store_id = old_id;
  }
  const std::uint64_t trimmed = fixed(engine::kSysTrimmed);
  top = std::max(
      {fixed(engine::kSysRevision), trimmed, fixed(engine::kSysReserved)});

  // The live records, checked against their out-of-line values.
  std::map<std::string, std::uint64_t> live;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, meta));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    rocksdb::Slice v = it->value();
    absl::StatusOr<engine::MetaRecord> m =
        engine::DecodeMeta(std::string_view(v.data(), v.size()), nullptr);
    if (!m.ok()) {
      fix.Delete(meta, key);
      report->lost.push_back(
          absl::StrCat(ReportedKey(key), ": unreadable record"));
      continue;
    }
    top = std::max(top, m->revision);
    if (m->out_of_line) {
      std::string value;
      rocksdb::Status s = db->Get(ro, data, key, &value);
      if (!s.ok() || value.size() != engine::kDataHeaderBytes + m->size ||
          DecodeFixed64(value.data()) != m->revision) {
        fix.Delete(meta, key);
        report->lost.push_back(absl::StrCat(
            ReportedKey(key), ": value of revision ", m->revision, " is gone"));
        continue;
      }
    }
    live[key] = m->revision;
  }
  if (!it->status().ok()) return engine::FromRocks(it->status(), "repair");

  // The log: gaps are lost writes of unknown keys; a key's last logged
  // write that the data does not show is a lost write of that key.
  std::map<std::string, engine::LogRecord> last;
  std::uint64_t expected = trimmed + 1;
  it.reset(db->NewIterator(ro, log));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    absl::StatusOr<engine::LogRecord> r =
        engine::DecodeLogRecord(std::string_view(k.data(), k.size()),
                                std::string_view(v.data(), v.size()));
    if (!r.ok()) {
      fix.Delete(log, k);
      continue;  // shows up as a gap below
    }
    if (r->revision <= trimmed) continue;
    if (r->revision > expected) {
      report->lost.push_back(RangeText(expected, r->revision - 1));
    }
    expected = r->revision + 1;
    top = std::max(top, r->revision);
    if (r->kind != ChangeKind::kClear) last[r->key] = *r;
  }
  if (!it->status().ok()) return engine::FromRocks(it->status(), "repair");
  // The last clean close knew of writes up to closed_revision.
  if (closed_revision >= expected && closed_revision > top) {
    report->lost.push_back(RangeText(expected, closed_revision));
  }
  top = std::max(top, closed_revision);
  for (const auto& [key, r] : last) {
    auto found = live.find(key);
    const std::uint64_t have = found == live.end() ? 0 : found->second;
    if (r.kind == ChangeKind::kPut && have < r.revision) {
      report->lost.push_back(
          absl::StrCat("put ", ReportedKey(key), " at revision ", r.revision));
    } else if (r.kind != ChangeKind::kPut && found != live.end() &&
               have < r.revision) {
      report->lost.push_back(absl::StrCat("delete of ", ReportedKey(key),
                                          " at revision ", r.revision,
                                          " (the older value is back)"));
    }
  }
  report->keys = live.size();

  std::random_device rd;
  report->new_store_id = absl::StrFormat("%08x%08x", rd(), rd());
  report->revision = top;
  fix.Put(sys, engine::kSysFormat, std::string(engine::kStoreFormat));
  fix.Put(sys, engine::kSysStoreId, report->new_store_id);
  fix.Put(sys, engine::kSysRevision, EncodeFixed64(top));
  fix.Put(sys, engine::kSysReserved, EncodeFixed64(top));  // any boot
  fix.Put(sys, engine::kSysTrimmed, EncodeFixed64(trimmed));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return engine::FromRocks(db->Write(wo, &fix), "repair: write identity");
}

// Points a missing or unreadable CURRENT at the newest MANIFEST.
void RestoreCurrent(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::ifstream in(path + "/CURRENT");
  std::string current;
  std::getline(in, current);
  if (!current.empty() && fs::exists(fs::path(path) / current, ec)) return;
  std::string newest;
  std::uint64_t newest_number = 0;
  for (const auto& f : fs::directory_iterator(path, ec)) {
    const std::string name = f.path().filename().string();
    std::uint64_t number = 0;
    if (name.rfind("MANIFEST-", 0) == 0 &&
        absl::SimpleAtoi(name.substr(9), &number) && number >= newest_number) {
      newest = name;
      newest_number = number;
    }
  }
  if (newest.empty()) return;
  const std::string tmp = path + "/CURRENT.repair";
  std::ofstream(tmp, std::ios::trunc) << newest << "\n";
  fs::rename(tmp, fs::path(path) / "CURRENT", ec);
}

// Opens the store for salvage (after RocksDB's repairer when `repair_db`)
// and reconciles it.
absl::Status OpenAndReconcile(const std::string& path,
                              const EngineOptions& options, bool repair_db,
                              std::uint64_t closed, RepairReport* report) {
  rocksdb::DBOptions db = engine::MakeDbOptions(options, nullptr);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs =
      engine::MakeColumnFamilies(options);
  if (repair_db) {
    rocksdb::Status rs = rocksdb::RepairDB(path, db, cfs);
    if (!rs.ok()) return engine::FromRocks(rs, "repair");
  } else {
    db.wal_recovery_mode = rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
    db.paranoid_checks = false;
    db.track_and_verify_wals_in_manifest = false;
  }
  db.create_missing_column_families = true;
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status rs = rocksdb::DB::Open(db, path, cfs, &handles, &raw);
  if (!rs.ok()) {
    return absl::DataLossError(
        absl::StrCat("cask repair: store \"", path,
                     "\" does not open after repair: ", rs.ToString()));
  }
  std::unique_ptr<rocksdb::DB> owned(raw);
  absl::Status s = Reconcile(raw, handles, closed, report);
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    raw->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  if (rocksdb::Status c = raw->Close(); s.ok() && !c.ok()) {
    s = engine::FromRocks(c, "repair: close");
  }
  return s;
}

}  // namespace

absl::StatusOr<RepairReport> Engine::Repair(std::string_view path_view,
                                            const EngineOptions& options) {
  namespace fs = std::filesystem;
  const std::string path(path_view);
  std::error_code ec;
  if (path.empty() || !fs::is_directory(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat("cask repair: no store at \"", path, "\""));
  }
  absl::StatusOr<engine::Marker> marker = engine::ReadMarker(path);
  if (marker.status().code() == absl::StatusCode::kNotFound ||
      marker.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(
        absl::StrCat("cask repair: \"", path,
                     "\" is not a cask store: ", marker.status().message()));
  }
  if (absl::Status s = engine::CheckDirectoryWritable(path); !s.ok()) {
    return s;
  }
  RepairLock lock(path);
  if (!lock.Take() || engine::LockHolder(path).has_value()) {
    return absl::UnavailableError(absl::StrCat("cask repair: store \"", path,
                                               "\" is open; close it first"));
  }

  const std::uint64_t closed = marker.ok() ? marker->closed_revision : 0;
  // Records after damage in a WAL are dropped by any salvage; say where.
  const absl::Status wal_damage = engine::CheckWals(path);
  RepairReport report;
  // First the gentle salvage, which keeps every readable record: the
  // MANIFEST as it is (CURRENT pointed at the newest one if it is gone),
  // every WAL record that passes its checksum. Then, if that fails,
  // RocksDB's repairer, which rebuilds the MANIFEST from the table files
  // (and drops WAL data of column families that have none).
  RestoreCurrent(path);
  absl::Status s =
      OpenAndReconcile(path, options, /*repair_db=*/false, closed, &report);
  if (!s.ok()) {
    report = RepairReport{};
    s = OpenAndReconcile(path, options, /*repair_db=*/true, closed, &report);
  }
  if (!s.ok()) return s;
  if (!wal_damage.ok()) {
    report.lost.push_back(absl::StrCat(
        "the writes after the damage (keys unknown): ", wal_damage.message()));
  }
  if (absl::Status m = engine::WriteMarker(
          path, engine::Marker{engine::MarkerState::kCreated, report.revision});
      !m.ok()) {
    return m;
  }
  if (fs::exists(fs::path(path) / "lost", ec)) {
    report.lost_files_dir = (fs::path(path) / "lost").string();
  }
  return report;
}

}  // namespace cask
