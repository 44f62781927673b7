#include "batch_ingest.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"

namespace cask::engine {
namespace {

// TEST_SetCompressedIngestion(false): uncompressed ingested files, a design
// bench_scale measures against this one in the same run
// (docs/benchmarks/scale.md: it saved 3 % of the load's CPU and left the
// store 28 % larger, as a file that overlaps nothing, like every change-log
// file, stays uncompressed in the bottom level).
std::atomic<bool> g_compressed_ingestion{true};

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

// Sorted by key, one record per key (the last written), in place.
void SortAndDeduplicate(std::vector<Record>& records) {
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) {
              int c = a.key.compare(b.key);
              return c != 0 ? c < 0 : a.order < b.order;
            });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (kept > 0 && records[kept - 1].key == records[i].key) {
      records[kept - 1] = records[i];
    } else {
      records[kept++] = records[i];
    }
  }
  records.resize(kept);
}

}  // namespace

void TEST_SetCompressedIngestion(bool compressed) {
  g_compressed_ingestion.store(compressed);
}

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
    rocksdb::Options file_options = db->GetOptions(h);
    const bool compressed = g_compressed_ingestion.load();
    if (!compressed) file_options.compression = rocksdb::kNoCompression;
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), file_options, h);
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
    // The uncompressed design also keeps an overlapping file's sequence
    // number in the MANIFEST only instead of writing it into the file.
    arg.options.write_global_seqno = compressed;
    args.push_back(std::move(arg));
  }
  outcome.attempted = true;
  outcome.status = db->IngestExternalFiles(args);
  fs::remove_all(scratch_dir, ec);
  return outcome;
}

}  // namespace cask::engine
