#include "raw_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>
#include <vector>

#include "cask/engine.h"
#include "db_options.h"
#include "rocksdb/write_batch.h"
#include "scale_data.h"

namespace cask::bench {
namespace {

void Check(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "raw rocksdb %s: %s\n", what, s.ToString().c_str());
  std::abort();
}

}  // namespace

RawStore::RawStore(const std::string& dir) {
  EngineOptions engine_options;  // the defaults a user gets
  rocksdb::DBOptions db = engine::MakeDbOptions(engine_options, nullptr);
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  // The engine's meta column family (small values live there inline).
  rocksdb::ColumnFamilyOptions cf =
      engine::MakeColumnFamilies(engine_options)[1].options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::Open(db, dir, cfs, &handles, &raw), "open");
  db_.reset(raw);
  cf_ = handles[0];
}

RawStore::~RawStore() {
  db_->DestroyColumnFamilyHandle(cf_).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

void RawStore::Load(std::uint64_t n, std::uint64_t batch) {
  for (std::uint64_t i = 0; i < n; i += batch) {
    LoadRange(i, std::min(batch, n - i));
  }
}

void RawStore::LoadRange(std::uint64_t first, std::uint64_t count) {
  rocksdb::WriteOptions wo;  // WAL, no fsync
  rocksdb::WriteBatch b;
  for (std::uint64_t i = first; i < first + count; ++i) {
    b.Put(cf_, KeyOf(i), ValueOf(i));
  }
  Check(db_->Write(wo, &b), "write");
}

void RawStore::GetPut(const std::vector<std::string>& keys,
                      const std::string& value) {
  rocksdb::WriteOptions wo;  // WAL, no fsync: the engine's kBuffered
  std::string old;
  for (const std::string& k : keys) {
    if (!Get(k, &old)) std::abort();
    Check(db_->Put(wo, cf_, k, value), "put");
  }
}

bool RawStore::Get(const std::string& key, std::string* value) {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_, key, value);
  if (s.IsNotFound()) return false;
  Check(s, "get");
  return true;
}

std::uint64_t RawStore::Scan(std::uint64_t limit, std::uint64_t page) {
  std::string lower = std::string(kBase) + ":";
  std::string upper = std::string(kBase) + ";";
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(page);
  std::uint64_t read = 0;
  for (it->Seek(lower); it->Valid() && read < limit; it->Next(), ++read) {
    if (entries.size() == page) entries.clear();
    entries.emplace_back(it->key().ToString(), it->value().ToString());
  }
  Check(it->status(), "scan");
  return read;
}

void RawStore::WaitForCompactions() {
  // The engine's store reaches its files the same way: its memtables are
  // flushed when it is reopened, before any measurement.
  Check(db_->Flush(rocksdb::FlushOptions(), cf_), "flush");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::uint64_t busy = 0, v = 0;
    for (const char* p :
         {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
          "rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
      if (db_->GetIntProperty(cf_, p, &v)) busy += v;
    }
    if (busy == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace cask::bench
