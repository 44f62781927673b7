// Large commits without the memtable: a write batch turned into one sorted
// table file per column family, ingested into RocksDB in one atomic step.
//
// A bulk load through the write queue would otherwise insert every record
// into a memtable (one skip-list insert per meta and log record), write it
// to the WAL, then flush and compact it. Ingesting sorted files skips the
// WAL and the memtable: the files are written once, fsynced and added to
// the tree by one MANIFEST write, so the commit is durable when it returns
// (also in kBuffered) and, as RocksDB's IngestExternalFiles guarantees,
// after a crash either all of it or none of it is in the store. The batch
// is built by the same code as any commit (revisions, etags, the change
// log, preconditions), so the result is the same store.
//
// Thread safety: IngestBatch must be called by the write-queue leader
// (under write_mu_): nothing else may write while it runs.
#ifndef CASK_ENGINE_ROCKSDB_BATCH_INGEST_H_
#define CASK_ENGINE_ROCKSDB_BATCH_INGEST_H_

#include <cstddef>
#include <string>
#include <vector>

#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace cask::engine {

// A group with at least this many records is ingested rather than written:
// below it, creating files and a MANIFEST write (and the memtable flush an
// overlapping ingestion forces) cost more than the memtable saves.
inline constexpr std::size_t kIngestMinRecords = 32768;

struct IngestOutcome {
  // False when nothing reached the database: the batch holds a record kind
  // that cannot be ingested (then `status` is OK and the caller writes the
  // batch normally), or its files could not be written (`status` says why).
  bool attempted = false;
  // The outcome of the ingestion when attempted.
  rocksdb::Status status;
};

// Where the store in `store_dir` writes an ingestion's files.
std::string IngestScratchDir(const std::string& store_dir);

// Removes what a crashed ingestion left in IngestScratchDir (table files
// or hard links to ingested ones, which would keep their space after
// compaction). For the process that holds the store's lock, at open.
void RemoveIngestScratch(const std::string& store_dir);

// Ingests `batch` (puts and deletes of the column families in `handles`)
// through sorted files written in `scratch_dir` (created if missing,
// emptied afterwards). Where a key appears twice in one column family the
// later record wins, as in a write.
IngestOutcome IngestBatch(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    const std::string& scratch_dir, const rocksdb::WriteBatch& batch);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_BATCH_INGEST_H_
