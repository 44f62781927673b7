#include "batch_ingest.h"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"

namespace cask::engine {
namespace {

// One record of the batch; the slices point into the batch.
struct Record {
  rocksdb::Slice key;
  rocksdb::Slice value;
  bool is_delete = false;
  std::size_t order = 0;  // position in the batch: the later one wins
};

// Sorts the batch's records by column family.
class Collector : public rocksdb::WriteBatch::Handler {
 public:
  explicit Collector(std::size_t families) : records_(families) {}

  rocksdb::Status PutCF(std::uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return Add(cf, key, value, false);
  }
  rocksdb::Status DeleteCF(std::uint32_t cf,
                           const rocksdb::Slice& key) override {
    return Add(cf, key, rocksdb::Slice(), true);
  }
  // Every other kind (single delete, range delete, merge, blob index...)
  // keeps the default handler, which fails the iteration: the caller then
  // writes the batch normally.

  std::vector<std::vector<Record>>& records() { return records_; }

 private:
  rocksdb::Status Add(std::uint32_t cf, const rocksdb::Slice& key,
                      const rocksdb::Slice& value, bool is_delete) {
    if (cf >= records_.size()) {
      return rocksdb::Status::NotSupported("unknown column family");
    }
    records_[cf].push_back(Record{key, value, is_delete, next_++});
    return rocksdb::Status::OK();
  }

  std::vector<std::vector<Record>> records_;
  std::size_t next_ = 0;
};

// Sorted by key, one record per key (the last written).
void SortAndDeduplicate(std::vector<Record>& records) {
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) {
              int c = a.key.compare(b.key);
              return c != 0 ? c < 0 : a.order < b.order;
            });
  std::vector<Record> out;
  out.reserve(records.size());
  for (Record& r : records) {
    if (!out.empty() && out.back().key == r.key) {
      out.back() = r;
    } else {
      out.push_back(r);
    }
  }
  records.swap(out);
}

}  // namespace

std::string IngestScratchDir(const std::string& store_dir) {
  return store_dir + "/ingest";
}

void RemoveIngestScratch(const std::string& store_dir) {
  std::error_code ec;  // best effort: the next ingestion empties it anyway
  std::filesystem::remove_all(IngestScratchDir(store_dir), ec);
}

IngestOutcome IngestBatch(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    const std::string& scratch_dir, const rocksdb::WriteBatch& batch) {
  IngestOutcome outcome;
  std::uint32_t max_id = 0;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    max_id = std::max(max_id, h->GetID());
  }
  Collector collector(max_id + 1);
  if (!batch.Iterate(&collector).ok()) return outcome;  // write it normally

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(scratch_dir, ec);  // files of an ingestion that crashed
  fs::create_directories(scratch_dir, ec);
  if (ec) {
    outcome.status = rocksdb::Status::IOError("cannot create " + scratch_dir +
                                              ": " + ec.message());
    return outcome;
  }
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    std::vector<Record>& records = collector.records()[h->GetID()];
    if (records.empty()) continue;
    SortAndDeduplicate(records);
    const std::string file =
        scratch_dir + "/" + std::to_string(h->GetID()) + ".sst";
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db->GetOptions(h), h);
    rocksdb::Status s = writer.Open(file);
    for (auto it = records.begin(); s.ok() && it != records.end(); ++it) {
      s = it->is_delete ? writer.Delete(it->key)
                        : writer.Put(it->key, it->value);
    }
    if (s.ok()) s = writer.Finish();
    if (!s.ok()) {
      fs::remove_all(scratch_dir, ec);
      outcome.status = s;
      return outcome;
    }
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = h;
    arg.external_files = {file};
    arg.options.move_files = true;  // hard links: no second copy
    // The ingested range may overlap a memtable (keys written just before):
    // RocksDB flushes it first, so the newer records win.
    arg.options.allow_blocking_flush = true;
    args.push_back(std::move(arg));
  }
  outcome.attempted = true;
  outcome.status = db->IngestExternalFiles(args);
  fs::remove_all(scratch_dir, ec);
  return outcome;
}

}  // namespace cask::engine
