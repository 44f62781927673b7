// In-process stores under Google Benchmark: memory and fs set / get / CAS,
// and fs read-modify-write increments from N processes on one key (CAS
// with retry) against N processes writing the same key unguarded. Every
// figure that matters is a ratio printed at the end, against a baseline
// measured in the same run (docs/benchmarks/inprocess.md).
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "cask/driver.h"
#include "cask/status.h"
#include "fs_store.h"
#include "memory_store.h"

namespace {

using cask::Driver;

constexpr int kKeys = 1000;
constexpr int kOpsPerProcess = 2000;

std::string& ScratchDir() {
  static std::string dir;
  return dir;
}

// Wall-clock items per second of every reported repetition, by
// "function/arg" (every benchmark here uses real time).
std::map<std::string, std::vector<double>>& Rates() {
  static std::map<std::string, std::vector<double>> rates;
  return rates;
}

// Keeps each repetition's items_per_second for the ratios printed at the
// end, then prints as usual.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      std::string name = run.run_name.function_name;
      if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
      Rates()[name].push_back(it->second.value);
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum class Kind { kMemory, kFs };

std::string FreshRoot() {
  static int n = 0;
  return absl::StrCat(ScratchDir(), "/store-", ++n);
}

std::unique_ptr<Driver> MakeStore(Kind kind, const std::string& root = "") {
  absl::StatusOr<std::unique_ptr<Driver>> store =
      kind == Kind::kMemory ? cask::CreateMemoryStore()
                            : cask::CreateFsStore(cask::FsOptions{
                                  .root = root.empty() ? FreshRoot() : root});
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open store: %s\n",
                 store.status().ToString().c_str());
    std::abort();
  }
  return *std::move(store);
}

const char* KindName(Kind kind) {
  return kind == Kind::kMemory ? "memory" : "fs";
}

std::vector<std::string> KeyNames() {
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrCat("bench:k", i));
  return keys;
}

// Unconditional sets of state.range(0)-byte values, round-robin over
// state.range(1) keys.
void BM_Set(benchmark::State& state, Kind kind) {
  auto store = MakeStore(kind);
  std::vector<std::string> keys = KeyNames();
  const std::size_t nkeys = static_cast<std::size_t>(state.range(1));
  std::string value(static_cast<std::size_t>(state.range(0)), 'v');
  std::size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> etag = store->Set(keys[i++ % nkeys], value);
    if (!etag.ok()) state.SkipWithError("set failed");
    benchmark::DoNotOptimize(etag);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Get(benchmark::State& state, Kind kind) {
  auto store = MakeStore(kind);
  std::vector<std::string> keys = KeyNames();
  std::string value(static_cast<std::size_t>(state.range(0)), 'v');
  for (const std::string& k : keys) {
    if (!store->Set(k, value).ok()) state.SkipWithError("prefill failed");
  }
  std::size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<cask::Item> item = store->Get(keys[i++ % kKeys]);
    if (!item.ok()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}

// One read-modify-write increment: Get, then Set with if-match the etag
// read, retried on mismatch. Returns the mismatches seen, or -1 on error.
std::int64_t Increment(Driver& store, const std::string& key) {
  std::int64_t mismatches = 0;
  while (true) {
    absl::StatusOr<cask::Item> item = store.Get(key);
    if (!item.ok()) return -1;
    std::int64_t n = 0;
    if (!absl::SimpleAtoi(item->value, &n)) return -1;
    cask::WriteOptions swap;
    swap.precondition = cask::Precondition::IfMatch(item->meta.etag);
    absl::StatusOr<std::string> r = store.Set(key, absl::StrCat(n + 1), swap);
    if (r.ok()) return mismatches;
    if (!cask::IsCasMismatch(r.status())) return -1;
    ++mismatches;
  }
}

// Uncontended CAS: the cost of a read plus a guarded write.
void BM_Cas(benchmark::State& state, Kind kind) {
  auto store = MakeStore(kind);
  if (!store->Set("counter", "0").ok()) state.SkipWithError("prefill failed");
  for (auto _ : state) {
    if (Increment(*store, "counter") != 0) state.SkipWithError("cas failed");
  }
  state.SetItemsProcessed(state.iterations());
}

// N processes on one fs store and one key: CAS increments with retry
// (guarded) or plain sets (unguarded). The final counter must equal the
// number of acknowledged increments.
void BM_FsProcesses(benchmark::State& state, bool guarded) {
  const int processes = static_cast<int>(state.range(0));
  std::string root = FreshRoot();
  auto store = MakeStore(Kind::kFs, root);
  std::int64_t items = 0, mismatches = 0;
  for (auto _ : state) {
    if (!store->Set("counter", "0").ok()) state.SkipWithError("reset failed");
    int fds[2];
    if (pipe(fds) != 0) state.SkipWithError("pipe failed");
    std::vector<pid_t> pids;
    for (int p = 0; p < processes; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        auto child = cask::CreateFsStore(cask::FsOptions{.root = root});
        if (!child.ok()) _exit(1);
        std::int64_t retries = 0;
        for (int i = 0; i < kOpsPerProcess; ++i) {
          if (guarded) {
            std::int64_t m = Increment(**child, "counter");
            if (m < 0) _exit(2);
            retries += m;
          } else if (!(*child)->Set("counter", absl::StrCat(i)).ok()) {
            _exit(2);
          }
        }
        _exit(write(fds[1], &retries, sizeof retries) == sizeof retries ? 0
                                                                        : 3);
      }
      pids.push_back(pid);
    }
    close(fds[1]);
    std::int64_t retries = 0;
    while (read(fds[0], &retries, sizeof retries) == sizeof retries) {
      mismatches += retries;
    }
    close(fds[0]);
    bool ok = true;
    for (pid_t pid : pids) {
      int status = 0;
      ok &= waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0;
    }
    if (!ok) state.SkipWithError("a child process failed");
    absl::StatusOr<cask::Item> final_value = store->Get("counter");
    if (!final_value.ok() ||
        (guarded &&
         final_value->value != absl::StrCat(processes * kOpsPerProcess))) {
      state.SkipWithError("lost an increment");
    }
    items += std::int64_t{processes} * kOpsPerProcess;
  }
  state.counters["retries_per_op"] =
      static_cast<double>(mismatches) / static_cast<double>(items);
  state.SetItemsProcessed(items);
}

void RegisterAll() {
  for (Kind kind : {Kind::kMemory, Kind::kFs}) {
    std::string n = KindName(kind);
    benchmark::RegisterBenchmark((n + "/set").c_str(), BM_Set, kind)
        ->ArgNames({"bytes", "keys"})
        ->Args({100, 1})
        ->Args({100, kKeys})
        ->Args({4096, kKeys})
        ->UseRealTime();
    benchmark::RegisterBenchmark((n + "/get").c_str(), BM_Get, kind)
        ->Arg(100)
        ->Arg(4096)
        ->UseRealTime();
    benchmark::RegisterBenchmark((n + "/cas").c_str(), BM_Cas, kind)
        ->UseRealTime();
  }
  for (bool guarded : {false, true}) {
    benchmark::RegisterBenchmark(
        guarded ? "fs/cas-procs" : "fs/unguarded-procs", BM_FsProcesses,
        guarded)
        ->Arg(1)
        ->Arg(2)
        ->Arg(4)
        ->Iterations(3)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

void PrintRatio(const char* what, const std::string& num,
                const std::string& den) {
  auto& r = Rates();
  if (!r.count(num) || !r.count(den)) return;
  double a = Median(r[num]), b = Median(r[den]);
  std::printf("%-40s %10.0f / %10.0f ops/s = %7.4f\n", what, a, b, a / b);
}

void PrintRatios() {
  std::printf(
      "\nratios (same run; wall-clock ops/s, median of the repetitions):\n");
  PrintRatio("fs set / memory set (100 B, 1000 keys)",
             "fs/set/bytes:100/keys:1000", "memory/set/bytes:100/keys:1000");
  PrintRatio("fs set / memory set (4 KiB, 1000 keys)",
             "fs/set/bytes:4096/keys:1000", "memory/set/bytes:4096/keys:1000");
  PrintRatio("fs get / memory get (100 B)", "fs/get/100", "memory/get/100");
  PrintRatio("fs get / memory get (4 KiB)", "fs/get/4096", "memory/get/4096");
  PrintRatio("memory cas / memory set (one key)", "memory/cas",
             "memory/set/bytes:100/keys:1");
  PrintRatio("fs cas / fs set (one key)", "fs/cas", "fs/set/bytes:100/keys:1");
  PrintRatio("fs set: 1000 keys / one key", "fs/set/bytes:100/keys:1000",
             "fs/set/bytes:100/keys:1");
  for (int n : {1, 2, 4}) {
    PrintRatio(
        absl::StrCat("fs ", n, "-process cas / unguarded writes").c_str(),
        absl::StrCat("fs/cas-procs/", n),
        absl::StrCat("fs/unguarded-procs/", n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/cask-bench-inprocess-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  ScratchDir() = pattern;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  PrintRatios();
  std::error_code ec;
  std::filesystem::remove_all(ScratchDir(), ec);
  return 0;
}
