// Many processes on one engine store. Every figure is measured
// in the same run as its baseline:
//   cross-process CAS ops/s, 2 processes, disjoint keys and one hot key:
//     cask (first opener owns, the other forwards; kBuffered) vs LMDB
//     (MDB_NOSYNC) vs SQLite (WAL, synchronous=NORMAL), 100 B values;
//   forwarded vs in-process latency of a CAS and a Get (p50, p99);
//   failover time: owner SIGKILLed -> a client's next write acknowledged;
//   a client's Get through a snapshot the owner pins vs a plain Get, and
//   the cost of opening and releasing one.
// Each throughput case forks 2 worker processes that run for kRunTime.
// "CAS" on disjoint keys: Set if_match the etag of the worker's previous
// write of that key (LMDB: read version + put in one write txn; SQLite:
// UPDATE ... WHERE ver = ?). Hot key: read, then CAS; a mismatch is
// retried, the figure counts successful swaps.
#include <lmdb.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "cask/engine.h"
#include "ipc.h"
#include "proc_util.h"

namespace {

constexpr absl::Duration kRunTime = absl::Seconds(2);
constexpr int kKeys = 1000;
const std::string kValue(100, 'v');

std::map<std::string, double> g_figures;
// ops/s of each worker of the last run (worker 0 opens first: the owner,
// for cask).
std::vector<double> g_last_split;

std::string FreshDir(const std::string& tag) {
  return cask::processes::MakeTempDir("bench-" + tag);
}

// Forks n workers; worker(i) returns its op count. Total ops/s.
double RunN(int n, const std::function<long(int)>& worker) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      long out[2] = {i, worker(i)};
      (void)!write(fds[1], out, sizeof out);
      _exit(0);
    }
    pids.push_back(pid);
    // The first worker opens first (the owner, for cask).
    if (i == 0) absl::SleepFor(absl::Milliseconds(200));
  }
  close(fds[1]);
  g_last_split.assign(n, 0);
  long total = 0, out[2];
  while (read(fds[0], out, sizeof out) == sizeof out) {
    total += out[1];
    g_last_split[out[0]] =
        static_cast<double>(out[1]) / absl::ToDoubleSeconds(kRunTime);
  }
  close(fds[0]);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  return static_cast<double>(total) / absl::ToDoubleSeconds(kRunTime);
}
double RunTwo(const std::function<long(int)>& worker) {
  return RunN(2, worker);
}

// The smallest share of the total among the workers of the last run.
double WeakestShare() {
  double total = 0, low = 1e300;
  for (double v : g_last_split) {
    total += v;
    low = std::min(low, v);
  }
  return total > 0 ? low / total : 0;
}

[[noreturn]] void Die(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, std::string(s.ToString()).c_str());
  std::abort();
}

std::string Key(int worker, int i) { return absl::StrCat("w", worker, "k", i); }

// ---- cask
long CaskWorker(const std::string& dir, int w, bool hot, bool ring) {
  cask::engine::ipc::SetRingTransport(ring);
  absl::StatusOr<std::unique_ptr<cask::Engine>> e =
      cask::Engine::Open(dir, cask::processes::TestOptions(/*buffered=*/true));
  if (!e.ok()) return -1000000;
  cask::Engine& s = **e;
  if (w == 0 && !s.Set("hot", kValue).ok()) return -1000000;
  // Start together: wait for the other worker's open.
  absl::SleepFor(absl::Milliseconds(w == 0 ? 300 : 100));
  long ops = 0;
  std::vector<std::string> etags(kKeys);
  absl::Time end = absl::Now() + kRunTime;
  if (!hot) {
    for (int i = 0; i < kKeys; ++i) etags[i] = *s.Set(Key(w, i), kValue);
    end = absl::Now() + kRunTime;
    for (int i = 0; absl::Now() < end; i = (i + 1) % kKeys) {
      absl::StatusOr<std::string> r =
          s.Set(Key(w, i), kValue,
                {.precondition = cask::Precondition::IfMatch(etags[i])});
      if (!r.ok()) return -1000000;
      etags[i] = *r;
      ++ops;
    }
  } else {
    while (absl::Now() < end) {
      absl::StatusOr<cask::Item> it = s.Get("hot");
      if (!it.ok()) return -1000000;
      absl::StatusOr<std::string> r =
          s.Set("hot", kValue,
                {.precondition = cask::Precondition::IfMatch(it->meta.etag)});
      if (r.ok()) ++ops;
    }
  }
  return ops;
}

// Args: hot key (1) or disjoint keys (0); ring (1) or socket alone (0);
// the number of processes.
void BM_Cask(benchmark::State& state) {
  bool hot = state.range(0) == 1;
  bool ring = state.range(1) == 1;
  int procs = static_cast<int>(state.range(2));
  for (auto _ : state) {
    // The store is created by worker 0: RocksDB must not have been opened
    // in a process before it forks (its background threads do not survive
    // fork, docs/processes.md).
    std::string dir = FreshDir("cask");
    double r =
        RunN(procs, [&](int w) { return CaskWorker(dir, w, hot, ring); });
    state.counters["ops_per_s"] = r;
    for (int i = 0; i < procs; ++i) {
      state
          .counters[absl::StrCat(i == 0 ? "owner" : "client",
                                 i == 0 ? "" : absl::StrCat(i), "_ops_per_s")] =
          g_last_split[i];
    }
    state.counters["weakest_share"] = WeakestShare();
    std::string tag = absl::StrCat("cask_", ring ? "ring_" : "socket_",
                                   hot ? "hot" : "disjoint", procs);
    g_figures[tag] = r;
    g_figures[tag + "_weakest_share"] = WeakestShare();
    std::filesystem::remove_all(dir);
  }
}

// ---- LMDB
long LmdbWorker(const std::string& dir, int w, bool hot) {
  MDB_env* env;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, 1u << 30);
  if (mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644) != 0) return -1000000;
  MDB_dbi dbi;
  MDB_txn* txn;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, nullptr, 0, &dbi);
  mdb_txn_commit(txn);
  // value = 8-byte version + payload; CAS = read version, compare, put.
  auto cas = [&](const std::string& key, std::uint64_t* expect) -> bool {
    mdb_txn_begin(env, nullptr, 0, &txn);
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    std::uint64_t cur = 0;
    if (mdb_get(txn, dbi, &k, &v) == 0) std::memcpy(&cur, v.mv_data, 8);
    if (expect != nullptr && cur != *expect) {
      mdb_txn_abort(txn);
      *expect = cur;
      return false;
    }
    std::string nv(8, '\0');
    std::uint64_t next = cur + 1;
    std::memcpy(nv.data(), &next, 8);
    nv += kValue;
    MDB_val val{nv.size(), nv.data()};
    mdb_put(txn, dbi, &k, &val, 0);
    mdb_txn_commit(txn);
    if (expect != nullptr) *expect = next;
    return true;
  };
  std::vector<std::uint64_t> vers(kKeys);
  if (!hot) {
    for (int i = 0; i < kKeys; ++i) cas(Key(w, i), nullptr);
    for (int i = 0; i < kKeys; ++i) vers[i] = 1;
  }
  absl::SleepFor(absl::Milliseconds(w == 0 ? 300 : 100));
  long ops = 0;
  absl::Time end = absl::Now() + kRunTime;
  std::uint64_t hv = 0;
  for (int i = 0; absl::Now() < end; i = (i + 1) % kKeys) {
    if (hot) {
      // Read in a read txn, then CAS in a write txn.
      MDB_txn* rt;
      mdb_txn_begin(env, nullptr, MDB_RDONLY, &rt);
      MDB_val k{3, const_cast<char*>("hot")}, v;
      hv = 0;
      if (mdb_get(rt, dbi, &k, &v) == 0) std::memcpy(&hv, v.mv_data, 8);
      mdb_txn_abort(rt);
      if (cas("hot", &hv)) ++ops;
    } else {
      if (!cas(Key(w, i), &vers[i])) return -1000000;
      ++ops;
    }
  }
  mdb_env_close(env);
  return ops;
}

void BM_Lmdb(benchmark::State& state) {
  bool hot = state.range(0) == 1;
  for (auto _ : state) {
    std::string dir = FreshDir("lmdb");
    double r = RunTwo([&](int w) { return LmdbWorker(dir, w, hot); });
    state.counters["ops_per_s"] = r;
    state.counters["w0_ops_per_s"] = g_last_split[0];
    state.counters["w1_ops_per_s"] = g_last_split[1];
    state.counters["weakest_share"] = WeakestShare();
    g_figures[hot ? "lmdb_hot" : "lmdb_disjoint"] = r;
    std::filesystem::remove_all(dir);
  }
}

// ---- SQLite
long SqliteWorker(const std::string& dir, int w, bool hot) {
  sqlite3* db;
  if (sqlite3_open((dir + "/db.sqlite").c_str(), &db) != SQLITE_OK) {
    return -1000000;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
               nullptr, nullptr, nullptr);
  sqlite3_stmt *ins, *sel, *upd;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv VALUES (?, ?, 1)", -1, &ins,
                     nullptr);
  sqlite3_prepare_v2(db, "SELECT ver FROM kv WHERE k = ?", -1, &sel, nullptr);
  sqlite3_prepare_v2(
      db, "UPDATE kv SET v = ?, ver = ver + 1 WHERE k = ? AND ver = ?", -1,
      &upd, nullptr);
  std::vector<std::int64_t> vers(kKeys, 1);
  if (!hot) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < kKeys; ++i) {
      std::string k = Key(w, i);
      sqlite3_bind_text(ins, 1, k.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob(ins, 2, kValue.data(), 100, SQLITE_STATIC);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  absl::SleepFor(absl::Milliseconds(w == 0 ? 300 : 100));
  auto update = [&](const std::string& k, std::int64_t ver) {
    sqlite3_bind_blob(upd, 1, kValue.data(), 100, SQLITE_STATIC);
    sqlite3_bind_text(upd, 2, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(upd, 3, ver);
    int rc = sqlite3_step(upd);
    sqlite3_reset(upd);
    return rc == SQLITE_DONE && sqlite3_changes(db) == 1;
  };
  long ops = 0;
  absl::Time end = absl::Now() + kRunTime;
  for (int i = 0; absl::Now() < end; i = (i + 1) % kKeys) {
    if (hot) {
      sqlite3_bind_text(sel, 1, "hot", -1, SQLITE_STATIC);
      std::int64_t ver = 0;
      if (sqlite3_step(sel) == SQLITE_ROW) ver = sqlite3_column_int64(sel, 0);
      sqlite3_reset(sel);
      if (update("hot", ver)) ++ops;
    } else {
      if (!update(Key(w, i), vers[i])) return -1000000;
      ++vers[i];
      ++ops;
    }
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  sqlite3_close(db);
  return ops;
}

void BM_Sqlite(benchmark::State& state) {
  bool hot = state.range(0) == 1;
  for (auto _ : state) {
    std::string dir = FreshDir("sqlite");
    {
      sqlite3* db;
      sqlite3_open((dir + "/db.sqlite").c_str(), &db);
      sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL; CREATE TABLE kv (k TEXT PRIMARY "
                   "KEY, v BLOB, ver INTEGER); INSERT INTO kv VALUES ('hot', "
                   "x'00', 1);",
                   nullptr, nullptr, nullptr);
      sqlite3_close(db);
    }
    double r = RunTwo([&](int w) { return SqliteWorker(dir, w, hot); });
    state.counters["ops_per_s"] = r;
    state.counters["w0_ops_per_s"] = g_last_split[0];
    state.counters["w1_ops_per_s"] = g_last_split[1];
    state.counters["weakest_share"] = WeakestShare();
    g_figures[hot ? "sqlite_hot" : "sqlite_disjoint"] = r;
    std::filesystem::remove_all(dir);
  }
}

// ---- latency: in-process (owner) vs forwarded (client), one thread each,
// run one after the other.
struct Lat {
  double p50_us, p99_us;
  bool client = false;
};
Lat Percentiles(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 99 / 100], false};
}

// Writes the figures to `out_fd`; the owner then keeps serving until killed.
void LatencyRun(const std::string& dir, bool get, bool ring, int out_fd,
                bool serve) {
  cask::engine::ipc::SetRingTransport(ring);
  auto e = cask::Engine::Open(dir, cask::processes::TestOptions(true));
  if (!e.ok()) std::abort();
  cask::Engine& s = **e;
  absl::StatusOr<std::string> first = s.Set("lat", kValue);
  if (!first.ok()) Die("set", first.status());
  std::string etag = *first;
  std::vector<double> us;
  for (int i = 0; i < 20000; ++i) {
    absl::Time t0 = absl::Now();
    if (get) {
      absl::StatusOr<cask::Item> item = s.Get("lat");
      if (!item.ok()) Die("get", item.status());
    } else {
      absl::StatusOr<std::string> r = s.Set(
          "lat", kValue, {.precondition = cask::Precondition::IfMatch(etag)});
      if (!r.ok()) Die("cas", r.status());
      etag = *r;
    }
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
  }
  Lat out = Percentiles(us);
  out.client = cask::engine::ipc::IsClient(s);
  (void)!write(out_fd, &out, sizeof out);
  if (serve) {
    for (;;) pause();
  }
}

// Args: Get (1) or CAS (0); ring (1) or socket alone (0).
void BM_Latency(benchmark::State& state) {
  bool get = state.range(0) == 1;
  bool ring = state.range(1) == 1;
  for (auto _ : state) {
    std::string dir = FreshDir("lat");
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    // Owner process: in-process figures, then it keeps serving.
    pid_t owner = fork();
    if (owner == 0) {
      close(fds[0]);
      LatencyRun(dir, get, ring, fds[1], /*serve=*/true);
    }
    Lat local{}, remote{};
    (void)!read(fds[0], &local, sizeof local);
    pid_t client = fork();
    if (client == 0) {
      close(fds[0]);
      LatencyRun(dir, get, ring, fds[1], /*serve=*/false);
      _exit(0);
    }
    close(fds[1]);
    (void)!read(fds[0], &remote, sizeof remote);
    close(fds[0]);
    waitpid(client, nullptr, 0);
    cask::processes::KillAndReap(owner);
    std::string op =
        absl::StrCat(get ? "get" : "cas", ring ? "_ring" : "_socket");
    if (local.client || !remote.client) {
      state.SkipWithError("the owner/client roles were not as intended");
    }
    state.counters["inproc_p50_us"] = local.p50_us;
    state.counters["inproc_p99_us"] = local.p99_us;
    state.counters["fwd_p50_us"] = remote.p50_us;
    state.counters["fwd_p99_us"] = remote.p99_us;
    g_figures[op + "_inproc_p50_us"] = local.p50_us;
    g_figures[op + "_inproc_p99_us"] = local.p99_us;
    g_figures[op + "_fwd_p50_us"] = remote.p50_us;
    g_figures[op + "_fwd_p99_us"] = remote.p99_us;
    std::filesystem::remove_all(dir);
  }
}

// ---- failover: an owner process and a standby; this process is a client
// (takeover off) writing in a loop; SIGKILL the owner and time until the
// next write is acknowledged.
void BM_Failover(benchmark::State& state) {
  cask::engine::ipc::SetTakeoverAllowed(false);
  for (auto _ : state) {
    std::string dir = FreshDir("failover");
    const int kRounds = 10;
    std::vector<pid_t> owners;
    for (int i = 0; i <= kRounds; ++i) {
      owners.push_back(cask::processes::SpawnOwner(dir));
    }
    std::vector<double> ms;
    {
      auto e = cask::Engine::Open(dir, cask::processes::TestOptions(true));
      if (!e.ok()) std::abort();
      cask::Engine& s = **e;
      for (int r = 0; r < kRounds; ++r) {
        for (int i = 0; i < 200; ++i) (void)s.Set("f", kValue);
        pid_t owner = cask::processes::WaitForOwner(dir);
        absl::Time t0 = absl::Now();
        kill(owner, SIGKILL);
        if (!s.Set("f", kValue).ok()) std::abort();
        ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
    }
    for (pid_t p : owners) cask::processes::KillAndReap(p);
    std::sort(ms.begin(), ms.end());
    state.counters["failover_median_ms"] = ms[ms.size() / 2];
    state.counters["failover_max_ms"] = ms.back();
    g_figures["failover_median_ms"] = ms[ms.size() / 2];
    g_figures["failover_max_ms"] = ms.back();
    std::filesystem::remove_all(dir);
  }
}

// ---- a client's snapshot reads: an owner process, this process a client
// (takeover off). In the same run, one thread each in turn: a plain Get, a
// Get through one snapshot pinned by the owner, and an open + release of
// a snapshot, p50 of 20,000 (2,000 opens). Arg: ring (1) or socket (0).
void BM_ClientSnapshot(benchmark::State& state) {
  const bool ring = state.range(0) == 1;
  cask::engine::ipc::SetTakeoverAllowed(false);
  cask::engine::ipc::SetRingTransport(ring);
  for (auto _ : state) {
    std::string dir = FreshDir("snap");
    pid_t owner = cask::processes::SpawnOwner(dir);
    {
      auto e = cask::Engine::Open(dir, cask::processes::TestOptions(true));
      if (!e.ok() || !cask::engine::ipc::IsClient(**e)) std::abort();
      cask::Engine& s = **e;
      if (!s.Set("k", kValue).ok()) std::abort();
      auto snap = s.OpenSnapshot();
      if (!snap.ok()) Die("open", snap.status());
      std::vector<double> get, snap_get, open;
      for (int i = 0; i < 20000; ++i) {
        absl::Time t0 = absl::Now();
        if (!s.Get("k").ok()) std::abort();
        get.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
        t0 = absl::Now();
        if (!(*snap)->Get("k").ok()) std::abort();
        snap_get.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
      }
      for (int i = 0; i < 2000; ++i) {
        absl::Time t0 = absl::Now();
        auto one = s.OpenSnapshot();
        if (!one.ok()) Die("open", one.status());
        one->reset();
        open.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
      }
      const std::string t = ring ? "ring" : "socket";
      const double g = Percentiles(get).p50_us;
      const double sg = Percentiles(snap_get).p50_us;
      const double o = Percentiles(open).p50_us;
      state.counters["get_p50_us"] = g;
      state.counters["snapshot_get_p50_us"] = sg;
      state.counters["open_release_p50_us"] = o;
      g_figures["snap_" + t + "_get_p50_us"] = g;
      g_figures["snap_" + t + "_snapshot_get_p50_us"] = sg;
      g_figures["snap_" + t + "_open_release_p50_us"] = o;
    }
    cask::processes::KillAndReap(owner);
    std::filesystem::remove_all(dir);
  }
  cask::engine::ipc::SetRingTransport(true);
}

BENCHMARK(BM_Cask)
    ->Args({0, 1, 1})  // one process alone: what the owner does unshared
    ->Args({0, 0, 2})
    ->Args({0, 1, 2})
    ->Args({1, 0, 2})
    ->Args({1, 1, 2})
    ->Args({1, 0, 4})
    ->Args({1, 1, 4})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Lmdb)->Arg(0)->Arg(1)->Iterations(1)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Sqlite)->Arg(0)->Arg(1)->Iterations(1)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Latency)
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Failover)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClientSnapshot)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  cask::processes::MaybeRunOwner(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  auto f = [](const char* k) { return g_figures.count(k) ? g_figures[k] : 0; };
  std::printf("\nratios (same run):\n");
  for (const char* w : {"disjoint", "hot"}) {
    double l = f(absl::StrCat("lmdb_", w).c_str());
    double q = f(absl::StrCat("sqlite_", w).c_str());
    std::printf("  %-8s lmdb %.0f/s  sqlite %.0f/s\n", w, l, q);
    for (const char* t : {"socket", "ring"}) {
      std::string k = absl::StrCat("cask_", t, "_", w, "2");
      double c = f(k.c_str());
      std::printf(
          "    cask %-6s %.0f/s  cask/lmdb %.2f  cask/sqlite %.2f  weakest "
          "share %.3f\n",
          t, c, l > 0 ? c / l : 0, q > 0 ? c / q : 0,
          f((k + "_weakest_share").c_str()));
    }
  }
  for (const char* t : {"socket", "ring"}) {
    std::string k = absl::StrCat("cask_", t, "_hot4");
    std::printf("  hot, 4 processes, %-6s %.0f/s  weakest share %.3f\n", t,
                f(k.c_str()), f((k + "_weakest_share").c_str()));
  }
  for (const char* op : {"cas_socket", "cas_ring", "get_socket", "get_ring"}) {
    std::string o = op;
    std::printf(
        "  %-10s latency: in-process p50 %.1f us p99 %.1f us; forwarded p50 "
        "%.1f us p99 %.1f us (p50 x%.1f)\n",
        op, f((o + "_inproc_p50_us").c_str()),
        f((o + "_inproc_p99_us").c_str()), f((o + "_fwd_p50_us").c_str()),
        f((o + "_fwd_p99_us").c_str()),
        f((o + "_inproc_p50_us").c_str()) > 0
            ? f((o + "_fwd_p50_us").c_str()) / f((o + "_inproc_p50_us").c_str())
            : 0);
  }
  std::printf(
      "  failover (SIGKILL -> next write acked): median %.1f ms, max %.1f ms\n",
      f("failover_median_ms"), f("failover_max_ms"));
  for (const char* t : {"socket", "ring"}) {
    std::string k = absl::StrCat("snap_", t, "_");
    double g = f((k + "get_p50_us").c_str());
    double sg = f((k + "snapshot_get_p50_us").c_str());
    std::printf(
        "  client snapshot, %-6s Get p50 %.1f us, snapshot Get p50 %.1f us "
        "(x%.2f), open + release p50 %.1f us\n",
        t, g, sg, g > 0 ? sg / g : 0, f((k + "open_release_p50_us").c_str()));
  }
  return 0;
}
