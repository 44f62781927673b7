// The engine's figures, every one a ratio against a baseline
// measured in the same run:
//   engine CAS (4 threads, and 1) / raw RocksDB Put (1 thread)   goal >= 1.0
//   engine Get / raw RocksDB Get                                 goal >= 0.95
//   (and engine GetInto, reusing one Item, / raw RocksDB Get)
//   durable CAS 16 threads / durable CAS 1 thread                goal >= 8
//   engine CAS / LMDB CAS (MDB_NOSYNC), / SQLite WAL conditional UPDATE
// for 100 B and 4 KiB values; then RSS above the process baseline after
// opening an empty store, and open times of an empty and a 1 M-key store.
// "CAS" is Set with if_match of the etag the thread got from its previous
// write of that key. Engine CAS figures other than "durable" use
// Durability::kBuffered, which like the raw Put writes the WAL without an
// fsync per write.
#include <lmdb.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "cask/engine.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace cask::engine {
// How many RocksDB writes were fsynced (engine/rocksdb/testing.h): the
// durable benchmarks report writes per fsync, the group-commit factor.
std::uint64_t TEST_SyncedWrites();
}  // namespace cask::engine

namespace {

constexpr int kKeysPerThread = 1000;
constexpr int kReadKeys = 10000;

std::string BenchDir(const std::string& name) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     absl::StrCat("cask-bench-", getpid(), "-", name))
                        .string();
  std::filesystem::remove_all(dir);
  return dir;
}

std::string Key(int thread, int i) {
  return absl::StrCat("t", thread, ":k", i);
}

// Incompressible values, so compression flatters no one.
std::string RandomValue(std::size_t size) {
  static thread_local std::mt19937_64 rng(7);
  std::string v(size, '\0');
  for (char& c : v) c = static_cast<char>(rng());
  return v;
}

// ---- engine
std::unique_ptr<cask::Engine> g_engine;
std::string g_engine_dir;

void OpenEngine(cask::Durability durability) {
  g_engine_dir = BenchDir("engine");
  cask::EngineOptions o;
  o.durability = durability;
  absl::StatusOr<std::unique_ptr<cask::Engine>> e =
      cask::Engine::Open(g_engine_dir, o);
  if (!e.ok()) {
    std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
    std::abort();
  }
  g_engine = *std::move(e);
}

void CloseEngine() {
  g_engine.reset();
  std::filesystem::remove_all(g_engine_dir);
}

void EngineCas(benchmark::State& state, cask::Durability durability) {
  std::uint64_t synced_before = 0;
  if (state.thread_index() == 0) {
    OpenEngine(durability);
    synced_before = cask::engine::TEST_SyncedWrites();
  }
  std::string value = RandomValue(static_cast<std::size_t>(state.range(0)));
  std::vector<std::string> etags(kKeysPerThread);
  int i = 0;
  for (auto _ : state) {
    int k = i++ % kKeysPerThread;
    cask::WriteOptions o;
    o.precondition = etags[k].empty() ? cask::Precondition::CreateOnly()
                                      : cask::Precondition::IfMatch(etags[k]);
    absl::StatusOr<std::string> etag =
        g_engine->Set(Key(state.thread_index(), k), value, o);
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      break;
    }
    etags[k] = *std::move(etag);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    if (durability == cask::Durability::kDurable) {
      // Summed over threads, then divided by all threads' iterations.
      state.counters["fsyncs_per_write"] = benchmark::Counter(
          static_cast<double>(cask::engine::TEST_SyncedWrites() -
                              synced_before),
          benchmark::Counter::kAvgIterations);
    }
    CloseEngine();
  }
}

void BM_EngineCas(benchmark::State& state) {
  EngineCas(state, cask::Durability::kBuffered);
}
void BM_EngineDurableCas(benchmark::State& state) {
  EngineCas(state, cask::Durability::kDurable);
}

void OpenEngineForReads(benchmark::State& state) {
  OpenEngine(cask::Durability::kBuffered);
  std::string value = RandomValue(static_cast<std::size_t>(state.range(0)));
  for (int i = 0; i < kReadKeys; ++i) (void)g_engine->Set(Key(0, i), value);
}

void BM_EngineGet(benchmark::State& state) {
  OpenEngineForReads(state);
  std::mt19937 rng(42);
  for (auto _ : state) {
    absl::StatusOr<cask::Item> item =
        g_engine->Get(Key(0, static_cast<int>(rng() % kReadKeys)));
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
  CloseEngine();
}

// One Item reused across calls, as the raw Get reuses its string.
void BM_EngineGetInto(benchmark::State& state) {
  OpenEngineForReads(state);
  std::mt19937 rng(42);
  cask::Item item;
  for (auto _ : state) {
    absl::Status s =
        g_engine->GetInto(Key(0, static_cast<int>(rng() % kReadKeys)), &item);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
  CloseEngine();
}

// ---- raw RocksDB, same block cache and write buffer as the engine
std::unique_ptr<rocksdb::DB> g_rocks;
std::string g_rocks_dir;

void OpenRocks() {
  g_rocks_dir = BenchDir("rocks");
  // The engine's table settings: 8 MiB LRU block cache, bloom filters,
  // LZ4, 8 MiB memtables.
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 8u << 20;
  o.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(8u << 20, 2);
  t.cache_index_and_filter_blocks = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(o, g_rocks_dir, &db).ok()) std::abort();
  g_rocks.reset(db);
}

void CloseRocks() {
  g_rocks.reset();
  std::filesystem::remove_all(g_rocks_dir);
}

void BM_RawRocksPut(benchmark::State& state) {
  OpenRocks();
  std::string value = RandomValue(static_cast<std::size_t>(state.range(0)));
  int i = 0;
  for (auto _ : state) {
    rocksdb::Status s = g_rocks->Put(rocksdb::WriteOptions(),
                                     Key(0, i++ % kKeysPerThread), value);
    if (!s.ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
  CloseRocks();
}

void BM_RawRocksGet(benchmark::State& state) {
  OpenRocks();
  std::string value = RandomValue(static_cast<std::size_t>(state.range(0)));
  for (int i = 0; i < kReadKeys; ++i) {
    (void)g_rocks->Put(rocksdb::WriteOptions(), Key(0, i), value);
  }
  std::mt19937 rng(42);
  std::string out;
  for (auto _ : state) {
    rocksdb::Status s =
        g_rocks->Get(rocksdb::ReadOptions(),
                     Key(0, static_cast<int>(rng() % kReadKeys)), &out);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  CloseRocks();
}

// ---- LMDB: a write transaction that reads the version, compares, writes
void BM_LmdbCas(benchmark::State& state) {
  std::string dir = BenchDir("lmdb");
  std::filesystem::create_directories(dir);
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, 1ull << 30);
  if (mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644) != 0) std::abort();
  MDB_dbi dbi;
  {
    MDB_txn* txn = nullptr;
    mdb_txn_begin(env, nullptr, 0, &txn);
    mdb_dbi_open(txn, nullptr, 0, &dbi);
    mdb_txn_commit(txn);
  }
  std::string value(8 + static_cast<std::size_t>(state.range(0)), 'v');
  std::vector<std::uint64_t> versions(kKeysPerThread, 0);
  int i = 0;
  for (auto _ : state) {
    int k = i++ % kKeysPerThread;
    std::string key = Key(0, k);
    MDB_val mk{key.size(), key.data()};
    MDB_txn* txn = nullptr;
    mdb_txn_begin(env, nullptr, 0, &txn);
    MDB_val cur;
    std::uint64_t have = 0;
    if (mdb_get(txn, dbi, &mk, &cur) == 0) {
      std::memcpy(&have, cur.mv_data, 8);
    }
    if (have != versions[k]) std::abort();
    ++versions[k];
    std::memcpy(value.data(), &versions[k], 8);
    MDB_val mv{value.size(), value.data()};
    if (mdb_put(txn, dbi, &mk, &mv, 0) != 0 || mdb_txn_commit(txn) != 0) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations());
  mdb_env_close(env);
  std::filesystem::remove_all(dir);
}

// ---- SQLite: WAL mode, synchronous=NORMAL, one conditional UPDATE each
void BM_SqliteCas(benchmark::State& state) {
  std::string dir = BenchDir("sqlite");
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  if (sqlite3_open((dir + "/db").c_str(), &db) != SQLITE_OK) std::abort();
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE kv(k TEXT PRIMARY KEY, ver INTEGER, v BLOB);",
               nullptr, nullptr, nullptr);
  std::string value = RandomValue(static_cast<std::size_t>(state.range(0)));
  {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO kv VALUES(?1, 0, ?2)", -1, &ins,
                       nullptr);
    for (int k = 0; k < kKeysPerThread; ++k) {
      std::string key = Key(0, k);
      sqlite3_bind_text(ins, 1, key.data(), static_cast<int>(key.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_blob(ins, 2, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_stmt* upd = nullptr;
  sqlite3_prepare_v2(db,
                     "UPDATE kv SET v = ?1, ver = ver + 1 WHERE k = ?2 AND "
                     "ver = ?3",
                     -1, &upd, nullptr);
  std::vector<std::int64_t> versions(kKeysPerThread, 0);
  int i = 0;
  for (auto _ : state) {
    int k = i++ % kKeysPerThread;
    std::string key = Key(0, k);
    sqlite3_bind_blob(upd, 1, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(upd, 2, key.data(), static_cast<int>(key.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(upd, 3, versions[k]);
    if (sqlite3_step(upd) != SQLITE_DONE || sqlite3_changes(db) != 1) {
      std::abort();
    }
    sqlite3_reset(upd);
    ++versions[k];
  }
  state.SetItemsProcessed(state.iterations());
  sqlite3_finalize(upd);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_RawRocksPut)->Arg(100)->Arg(4096)->UseRealTime();
BENCHMARK(BM_EngineCas)
    ->Arg(100)
    ->Arg(4096)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();
BENCHMARK(BM_RawRocksGet)->Arg(100)->Arg(4096)->UseRealTime();
BENCHMARK(BM_EngineGet)->Arg(100)->Arg(4096)->UseRealTime();
BENCHMARK(BM_EngineGetInto)->Arg(100)->Arg(4096)->UseRealTime();
BENCHMARK(BM_EngineDurableCas)
    ->Arg(100)
    ->Arg(4096)
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();
BENCHMARK(BM_LmdbCas)->Arg(100)->Arg(4096)->UseRealTime();
BENCHMARK(BM_SqliteCas)->Arg(100)->Arg(4096)->UseRealTime();

// Collects items/s (wall clock) and CPU time per op per run name for the
// ratio table; with --benchmark_repetitions the medians are used.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (r.error_occurred || it == r.counters.end()) continue;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") {
        continue;
      }
      const std::string name = r.run_name.str();
      if (r.run_type == Run::RT_Iteration && medians_.contains(name)) continue;
      if (r.run_type == Run::RT_Aggregate) medians_.insert(name);
      rates_[name] = it->second.value;
      cpu_ns_[name] = r.GetAdjustedCPUTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double Rate(const std::string& name) const { return Get(rates_, name); }
  double CpuNs(const std::string& name) const { return Get(cpu_ns_, name); }

 private:
  static double Get(const std::map<std::string, double>& m,
                    const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? 0 : it->second;
  }
  std::map<std::string, double> rates_, cpu_ns_;
  std::set<std::string> medians_;
};

// Wall-clock throughput ratio num / den; for single-threaded pairs also
// the ratio of CPU time per op (den / num), which a loaded machine
// disturbs less.
void PrintRatio(const RatioReporter& r, const std::string& what,
                const std::string& num, const std::string& den,
                const char* goal, bool cpu = false) {
  double a = r.Rate(num), b = r.Rate(den);
  if (a == 0 || b == 0) return;
  std::printf("  %-50s %6.2f  (%.0f/s vs %.0f/s)", what.c_str(), a / b, a, b);
  if (cpu && r.CpuNs(num) > 0) {
    std::printf("  cpu-time ratio %.2f", r.CpuNs(den) / r.CpuNs(num));
  }
  std::printf("%s\n", goal);
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

double OpenSeconds(const std::string& dir) {
  absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<cask::Engine>> e = cask::Engine::Open(dir);
  double s = absl::ToDoubleSeconds(absl::Now() - start);
  if (!e.ok()) std::abort();
  return s;
}

double MedianOpenSeconds(const std::string& dir) {
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) t.push_back(OpenSeconds(dir));
  std::sort(t.begin(), t.end());
  return t[2];
}

// RSS and open times, measured before any benchmark has run.
void MeasureOpen() {
  std::string dir = BenchDir("open");
  long before = RssKiB();
  {
    absl::StatusOr<std::unique_ptr<cask::Engine>> e = cask::Engine::Open(dir);
    if (!e.ok()) std::abort();
    long after = RssKiB();
    std::printf(
        "RSS after opening an empty store: +%.2f MiB above the "
        "process baseline of %.2f MiB (goal <= 8 MiB)\n",
        (after - before) / 1024.0, before / 1024.0);
  }
  std::printf("open time, empty store: %.1f ms (median of 5)\n",
              MedianOpenSeconds(dir) * 1e3);
  {
    cask::EngineOptions o;
    o.durability = cask::Durability::kBuffered;
    absl::StatusOr<std::unique_ptr<cask::Engine>> e =
        cask::Engine::Open(dir, o);
    if (!e.ok()) std::abort();
    std::string value(100, 'v');
    for (int b = 0; b < 1000; ++b) {
      cask::Batch batch;
      for (int i = 0; i < 1000; ++i) {
        batch.Put(absl::StrCat("key:", b, ":", i), value);
      }
      if (!(*e)->Commit(batch).ok()) std::abort();
    }
  }
  std::printf(
      "open time, 1 M-key store (100 B values): %.1f ms (median of "
      "5)\n",
      MedianOpenSeconds(dir) * 1e3);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  // CASK_BENCH_SKIP_OPEN=1 leaves the open-time and RSS figures out, so a
  // profile of the benchmarks (perf record) is not dominated by loading
  // the 1 M-key store.
  const char* skip_open = std::getenv("CASK_BENCH_SKIP_OPEN");
  if (skip_open == nullptr || std::string(skip_open) != "1") MeasureOpen();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\nRatios (same run):\n");
  for (const char* size : {"100", "4096"}) {
    std::string s = size;
    std::printf(" value %s B:\n", size);
    PrintRatio(reporter, "engine CAS 4 threads / raw RocksDB Put 1 thread",
               "BM_EngineCas/" + s + "/real_time/threads:4",
               "BM_RawRocksPut/" + s + "/real_time", "   goal >= 1.0");
    PrintRatio(reporter, "engine CAS 1 thread / raw RocksDB Put 1 thread",
               "BM_EngineCas/" + s + "/real_time/threads:1",
               "BM_RawRocksPut/" + s + "/real_time", "", true);
    PrintRatio(reporter, "engine Get / raw RocksDB Get",
               "BM_EngineGet/" + s + "/real_time",
               "BM_RawRocksGet/" + s + "/real_time", "   goal >= 0.95", true);
    PrintRatio(reporter, "engine GetInto (reused Item) / raw RocksDB Get",
               "BM_EngineGetInto/" + s + "/real_time",
               "BM_RawRocksGet/" + s + "/real_time", "   goal >= 0.95", true);
    PrintRatio(reporter, "durable CAS 16 threads / durable CAS 1 thread",
               "BM_EngineDurableCas/" + s + "/real_time/threads:16",
               "BM_EngineDurableCas/" + s + "/real_time/threads:1",
               "   goal >= 8");
    PrintRatio(reporter, "engine CAS 1 thread / LMDB NOSYNC CAS",
               "BM_EngineCas/" + s + "/real_time/threads:1",
               "BM_LmdbCas/" + s + "/real_time", "", true);
    PrintRatio(reporter, "engine CAS 4 threads / LMDB NOSYNC CAS",
               "BM_EngineCas/" + s + "/real_time/threads:4",
               "BM_LmdbCas/" + s + "/real_time", "");
    PrintRatio(reporter, "engine CAS 1 thread / SQLite WAL CAS",
               "BM_EngineCas/" + s + "/real_time/threads:1",
               "BM_SqliteCas/" + s + "/real_time", "", true);
    PrintRatio(reporter, "engine CAS 4 threads / SQLite WAL CAS",
               "BM_EngineCas/" + s + "/real_time/threads:4",
               "BM_SqliteCas/" + s + "/real_time", "");
  }
  benchmark::Shutdown();
  return 0;
}
