#include "db_options.h"

#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace cask::engine {

rocksdb::DBOptions MakeDbOptions(const EngineOptions& options,
                                 rocksdb::Env* env) {
  rocksdb::DBOptions db;
  db.create_if_missing = false;
  db.create_missing_column_families = false;
  db.error_if_exists = false;
  if (env != nullptr) db.env = env;
  // Damage is an error, never a quietly smaller store. A WAL may end in one
  // incomplete record (a write torn by a crash, never acknowledged: durable
  // writes are acknowledged after the fsync); any other damage in any WAL
  // fails the open with Corruption (kDataLoss) instead of dropping the
  // records after it, as kPointInTimeRecovery would.
  db.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db.paranoid_checks = true;
  // A closed WAL that goes missing or changes size is damage too.
  db.track_and_verify_wals_in_manifest = true;
  db.max_background_jobs = 2;
  db.max_open_files = 256;
  db.keep_log_file_num = 2;
  db.max_log_file_size = 1 << 20;
  db.stats_dump_period_sec = 0;
  db.stats_persist_period_sec = 0;
  db.table_cache_numshardbits = 4;
  db.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes);
  db.max_total_wal_size = 4 * options.write_buffer_bytes;
  return db;
}

std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(
    const EngineOptions& options) {
  std::shared_ptr<rocksdb::Cache> cache;
  if (options.block_cache_bytes > 0) {
    cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*shard_bits=*/2);
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
    // Partitioned index and filters: a table file's index and filter are
    // cut into 4 KiB blocks under a small top-level index (pinned), so a
    // point lookup loads one index and one filter partition into the block
    // cache instead of the whole file's index and filter. With whole-file
    // blocks, a store whose indexes and filters outgrow the cache (10 M
    // keys: ~25 MiB against the default 8 MiB) re-reads a filter of
    // hundreds of KiB for every lookup: Gets, the precondition reads of
    // every write and the lookups of a bulk load (docs/benchmarks/scale.md).
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.partition_filters = bloom;
    t.metadata_block_size = 4096;
    return std::shared_ptr<rocksdb::TableFactory>(
        rocksdb::NewBlockBasedTableFactory(t));
  };
  auto cf_options = [&](bool bloom) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_bytes / 2;
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
      options.blob_compression ? rocksdb::kZSTD : rocksdb::kNoCompression;
  data.enable_blob_garbage_collection = true;
  data.blob_file_size = 64u << 20;
  rocksdb::ColumnFamilyOptions meta = cf_options(true);
  // One memtable insert hint for every key (an empty prefix): the skip list
  // then starts each insert from where the previous one went and repairs
  // only the levels that no longer bracket the new key, instead of searching
  // from the top whenever the bottom level misses. A rewrite of a key lands
  // beside that key's previous versions and a workload's writes cluster: in
  // the CAS benchmark the splice searches fell from 15 to 9 per cent of the
  // samples (docs/benchmarks/engine.md, design 3). It changes where an insert
  // starts, never what a read sees. The change-log CF needs no hint: its keys
  // only grow, and the skip list's own sequential splice already inserts
  // them without a search.
  meta.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(0));
  return {
      {rocksdb::kDefaultColumnFamilyName, cf_options(false)},
      {kMetaCf, meta},
      {kDataCf, data},
      {kTtlCf, cf_options(false)},
      {kLogCf, cf_options(false)},
  };
}

}  // namespace cask::engine
