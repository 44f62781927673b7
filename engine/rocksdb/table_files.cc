// What an opening and a closing store do about their WAL and table files,
// so that short-lived processes do not pile them up.
//
// By default every open replays the WAL into level-0 files (one per column
// family that has records in it), so each process that writes would leave
// a few small table files behind. An open therefore replays the WAL files
// into memtables without flushing them while there are few of them (below),
// and a close merges small table files once there are many. RocksDB merges
// level-0 files only when their keys overlap those of the level below; files of
// keys written in order (the change log, and any application that appends) are
// moved down unmerged, and the last level is never compacted by size. Without
// the merge below, every `cask set` process left two files forever and reads
// slowed down with their number.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "engine_impl.h"
#include "rocksdb/metadata.h"
#include "rocksdb/transaction_log.h"
#include "testing.h"

namespace cask::engine {
namespace {

// A table file this small is the flush of a nearly empty memtable (a full
// one gives megabytes) or the merge of a few of them.
constexpr std::uint64_t kSmallTableFileBytes = 1u << 20;
// A column family with this many small files has them merged into one on
// close: the file count per column family stays below it whatever the
// number of processes, and a merge costs a few milliseconds.
constexpr std::size_t kMaxSmallTableFiles = 8;
// WAL files an open replays without flushing them. Each process that opens
// the store adds one (RocksDB starts a new WAL on every open) and none is
// deleted before a flush, so the open that finds this many flushes them
// all into table files, and every open replays at most this many.
constexpr std::size_t kMaxWalFilesWithoutFlush = 8;

// Closes that waited for compactions until their deadline (testing.h).
std::atomic<std::uint64_t> g_compaction_waits_timed_out{0};

// fdatasync of an existing file; false if it cannot be done.
bool SyncFile(const std::string& name) {
  const int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fdatasync(fd) == 0;
  close(fd);
  return ok;
}

// A WAL this long is flushed into table files on close. Below it the next
// open replays the WAL in about a millisecond and a close need not write
// table files (a `cask set` of one key stays cheap); above it, every
// read-only open would replay up to a whole memtable per column family
// (a 10,000-key import: ~1.5 MB, most of a one-shot `cask get`).
constexpr std::uint64_t kFlushOnCloseBytes = 256u << 10;

}  // namespace

bool ReplayWalsWithoutFlush(const std::string& dir) {
  std::vector<std::string> wals;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().string();
    if (absl::EndsWith(name, ".log") && entry.is_regular_file(ec)) {
      wals.push_back(std::move(name));
    }
  }
  if (ec || wals.size() >= kMaxWalFilesWithoutFlush) return false;
  // A flush makes what it replays durable; a replay into memtables must
  // too: a process killed before it synced (buffered mode, or a durable
  // write not yet acknowledged) left records only in the page cache, and
  // this process may show them and build on them. Syncing a file that
  // holds nothing unsynced costs next to nothing.
  for (const std::string& wal : wals) {
    if (!SyncFile(wal)) return false;  // then the flush makes them durable
  }
  return true;
}

void EngineImpl::WaitForCompactions() {
  // RocksDB's Close drops compactions that have not started. Bounded: a
  // close never waits more than this.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::uint64_t busy = 0, v = 0;
    // A background error (a flush or compaction that failed: disk full,
    // I/O error, the machine going down) stops every later flush and
    // compaction until someone resumes the database, which a close does
    // not: what is pending now never runs, so do not wait for it. Nothing
    // is lost: a pending flush's records are in the WAL. (An open replays
    // its WAL into memtables, so a bulk commit's ingestion flushes them
    // first; when that flush failed, a close waited here the whole 30 s.)
    if (db_->GetIntProperty("rocksdb.background-errors", &v) && v > 0) return;
    for (const char* property :
         {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes"}) {
      if (db_->GetIntProperty(property, &v)) busy += v;
    }
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      for (const char* property :
           {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        if (db_->GetIntProperty(h, property, &v)) busy += v;
      }
    }
    if (busy == 0) return;
    absl::SleepFor(absl::Milliseconds(2));
  }
  g_compaction_waits_timed_out.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t TEST_CompactionWaitsTimedOut() {
  return g_compaction_waits_timed_out.load();
}

void EngineImpl::FlushLargeMemtables() {
  // What the next open would replay: the live WAL files.
  rocksdb::VectorLogPtr wals;
  if (!db_->GetSortedWalFiles(wals).ok()) return;
  std::uint64_t bytes = 0;
  for (const std::unique_ptr<rocksdb::LogFile>& wal : wals) {
    bytes += wal->SizeFileBytes();
  }
  if (bytes < kFlushOnCloseBytes) return;
  rocksdb::FlushOptions options;
  options.wait = true;
  // A failure leaves the records in the WAL, replayed by the next open.
  db_->Flush(options, handles_).PermitUncheckedError();
}

void EngineImpl::MergeSmallTableFiles() {
  std::uint64_t errors = 0;
  if (db_->GetIntProperty("rocksdb.background-errors", &errors) && errors > 0) {
    return;  // a failing disk: left for a later close
  }
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(h, &meta);
    std::size_t small = 0;
    std::string smallest, largest;
    for (const rocksdb::LevelMetaData& level : meta.levels) {
      for (const rocksdb::SstFileMetaData& file : level.files) {
        if (file.size >= kSmallTableFileBytes) continue;
        if (small == 0 || file.smallestkey < smallest) {
          smallest = file.smallestkey;
        }
        if (small == 0 || file.largestkey > largest) largest = file.largestkey;
        ++small;
      }
    }
    if (small < kMaxSmallTableFiles) continue;
    // Everything in the range of the small files is rewritten into as few
    // files as the target size allows. Small files of one column family
    // lie together in practice (the newest keys of an appending writer); a
    // large file in between is rewritten too, which costs time, not
    // safety: the new files are synced and recorded in the MANIFEST before
    // the old ones are deleted, as in any compaction. A failure leaves
    // the files as they were.
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    const rocksdb::Slice begin(smallest), end(largest);
    db_->CompactRange(options, h, &begin, &end).PermitUncheckedError();
  }
}

}  // namespace cask::engine
