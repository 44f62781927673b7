// bench_scale: the engine with up to 10 M keys of 100 B
// (docs/benchmarks/scale.md). For each store size (10 k, 100 k, 1 M, 10 M
// keys by default) it builds a raw RocksDB baseline and an engine store of
// the same keys once, then measures, baseline and engine in the same run:
//   bulk load           engine Commits / raw WriteBatches of --load-batch
//                       keys (large commits are ingested as table files),
//                       two engine designs (ingested files compressed
//                       like any table file, the landed one; uncompressed)
//                       and the raw store loaded batch by batch in turn
//   random Get, warm    engine Get / raw Get, caches warmed by a first pass,
//                       on both engine stores
//   random Get, cold    the same right after the page cache was dropped
//                       and the store reopened (empty block cache)
//   CAS                 GetMeta + Set(if_match) on random keys, per second
//                       (the report divides it by the 10 k figure), and
//                       raw Get + Put of the same keys
//   scan                1 M keys (or all) with values through Driver::Scan
//                       pages / a raw iterator copying the same
//   open time           Engine::Open of the closed store (warm page cache,
//                       and once after dropping it)
//   RSS                 a fresh process opening the store with default
//                       options, after random reads and writes, above its
//                       own baseline (the block cache is part of it)
//   HTTP listing        peak RSS growth of `cask serve` while it answers
//                       the listing of every key
// Ratios are medians over --rounds interleaved rounds.
//
//   bench_scale [--sizes=10000,100000,1000000,10000000] [--dir=DIR]
//               [--cask=PATH] [--rounds=3] [--get-ops=100000]
//               [--cold-ops=2000] [--cas-ops=20000] [--load-batch=100000]
//               [--keep] [--load-only] [--phases]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cask/engine.h"
#include "cask/string_view_compat.h"
#include "raw_store.h"
#include "scale_data.h"
#include "scale_process.h"
#include "testing.h"

namespace cask::bench {
namespace {

constexpr std::uint64_t kScanKeys = 1'000'000;
constexpr std::uint64_t kScanPage = 1000;
constexpr double kNaN = std::nan("");

struct Flags {
  std::vector<std::uint64_t> sizes = {10'000, 100'000, 1'000'000, 10'000'000};
  std::string dir;
  std::string cask;  // the cask program, for the HTTP listing
  int rounds = 3;
  std::uint64_t get_ops = 100'000;
  std::uint64_t cold_ops = 2'000;
  std::uint64_t cas_ops = 20'000;
  // Keys per raw WriteBatch and per engine Commit when loading. From
  // engine::kIngestMinRecords / 2 keys on, the engine ingests table files.
  std::uint64_t load_batch = 100'000;
  bool keep = false;
  // Only the bulk loads (to profile them).
  bool load_only = false;
};

struct Figures {
  std::uint64_t keys = 0;
  double load_raw = kNaN, load_cask = kNaN;  // keys per second
  double load_plain = kNaN;  // keys per second, uncompressed ingestion
  double get_warm = kNaN, get_cold = kNaN;            // ratios
  double get_warm_cask = kNaN, get_cold_cask = kNaN;  // Gets per second
  // Ratios on the store loaded with uncompressed ingested files.
  double get_warm_plain = kNaN, get_cold_plain = kNaN;
  double cas = kNaN;                     // CAS per second
  double cas_raw = kNaN;                 // raw Get + Put per second, same keys
  double scan = kNaN, scan_cask = kNaN;  // ratio; entries per second
  double open_ms = kNaN, open_cold_ms = kNaN;
  double rss_mib = kNaN, rss_peak_mib = kNaN;  // above the probe's baseline
  double http_mib = kNaN;                      // listing: peak RSS growth
  std::string notes;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// With --phases, each measurement's start goes to stderr as
// "phase <size> <name> <CLOCK_MONOTONIC seconds>", so that a profile taken
// with `perf record -k CLOCK_MONOTONIC` can be split by phase
// (bench/scale/perf_phases.py).
bool g_phases = false;
void Phase(std::uint64_t n, const char* name) {
  if (!g_phases) return;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::fprintf(stderr, "phase %llu %s %ld.%09ld\n",
               static_cast<unsigned long long>(n), name,
               static_cast<long>(ts.tv_sec), ts.tv_nsec);
}

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<Engine> OpenCask(const std::string& dir,
                                 Durability durability) {
  EngineOptions o;
  o.durability = durability;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(dir, o);
  if (!e.ok()) Die("open " + dir, e.status());
  return *std::move(e);
}

// Keys first..first+count-1 in commits of `batch_keys`.
void LoadCask(Engine& engine, std::uint64_t first, std::uint64_t count,
              std::uint64_t batch_keys) {
  const std::uint64_t n = first + count;
  for (std::uint64_t i = first; i < n;) {
    Batch batch;
    for (std::uint64_t j = 0; j < batch_keys && i < n; ++j, ++i) {
      batch.Put(KeyOf(i), ValueOf(i));
    }
    absl::StatusOr<CommitResult> r = engine.Commit(batch);
    if (!r.ok()) Die("commit", r.status());
  }
}

std::vector<std::string> SampleKeys(std::uint64_t n, std::uint64_t count,
                                    std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) keys.push_back(KeyOf(rng.Below(n)));
  return keys;
}

// Gets per second over `keys`.
double TimeRawGets(RawStore& raw, const std::vector<std::string>& keys) {
  std::string value;
  auto t0 = std::chrono::steady_clock::now();
  for (const std::string& k : keys) {
    if (!raw.Get(k, &value)) std::abort();
  }
  return keys.size() / Seconds(t0);
}

double TimeCaskGets(Engine& engine, const std::vector<std::string>& keys) {
  auto t0 = std::chrono::steady_clock::now();
  for (const std::string& k : keys) {
    absl::StatusOr<Item> item = engine.Get(k);
    if (!item.ok()) Die("get " + k, item.status());
  }
  return keys.size() / Seconds(t0);
}

// Medians of rounds of Gets on the raw store (0), the engine store (1) and
// the engine store loaded with uncompressed ingestion (2): ratios to the
// raw store and the engine's rate. Each round times the three in a
// rotating order, so that no store always runs first on a loaded machine.
struct GetRounds {
  double engine_ratio, plain_ratio, engine_rate;
};

GetRounds RotatedGetRounds(int rounds, const char* what,
                           const std::function<double(int)>& gets_per_s) {
  std::vector<double> ratios, ratios_plain, rates;
  for (int r = 0; r < rounds; ++r) {
    double rate[3] = {kNaN, kNaN, kNaN};
    for (int k = 0; k < 3; ++k) {
      const int which = (r + k) % 3;
      rate[which] = gets_per_s(which);
    }
    ratios.push_back(rate[1] / rate[0]);
    ratios_plain.push_back(rate[2] / rate[0]);
    rates.push_back(rate[1]);
    std::printf(
        "  %s get round %d: raw %.0f/s, engine %.0f/s, engine (uncompressed "
        "load) %.0f/s\n",
        what, r, rate[0], rate[1], rate[2]);
  }
  return {Median(ratios), Median(ratios_plain), Median(rates)};
}

// Scanned entries per second; NaN when the engine cannot scan yet.
double TimeCaskScan(Engine& engine, std::uint64_t limit) {
  ScanOptions options;
  options.limit = kScanPage;
  options.with_values = true;
  std::uint64_t read = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (read < limit) {
    options.limit = std::min<std::uint64_t>(kScanPage, limit - read);
    absl::StatusOr<ScanPage> page = engine.Scan(kBase, options);
    if (absl::IsUnimplemented(page.status())) return kNaN;
    if (!page.ok()) Die("scan", page.status());
    read += page->entries.size();
    if (page->next_after.empty()) break;
    options.start_after = std::move(page->next_after);
  }
  return read / Seconds(t0);
}

// CAS per second: GetMeta, then Set with if_match of what it read.
double TimeCas(Engine& engine, std::uint64_t n, std::uint64_t ops,
               std::uint64_t seed) {
  Rng rng(seed);
  std::string value = ValueOf(seed);
  auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < ops; ++i) {
    std::string key = KeyOf(rng.Below(n));
    absl::StatusOr<Meta> meta = engine.GetMeta(key);
    if (!meta.ok()) Die("cas meta " + key, meta.status());
    WriteOptions w;
    w.precondition = Precondition::IfMatch(meta->etag);
    absl::StatusOr<std::string> etag = engine.Set(key, value, w);
    if (!etag.ok()) Die("cas set " + key, etag.status());
  }
  return ops / Seconds(t0);
}

// The RSS probe, run in a fresh process: opens `dir` with default options,
// reads then writes random keys, and prints its RSS (KiB) at each step.
int RssProbe(const std::string& dir, std::uint64_t n) {
  const long baseline = RssKiB();
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(dir);
  if (!e.ok()) Die("probe open", e.status());
  const long opened = RssKiB();
  Rng rng(99);
  for (int i = 0; i < 100'000; ++i) {
    absl::StatusOr<Item> item = (*e)->Get(KeyOf(rng.Below(n)));
    if (!item.ok()) Die("probe get", item.status());
  }
  const long read = RssKiB();
  // Durable writes in commits of 100, so that memtables fill as under a
  // real write load without 100 k fsyncs.
  for (int c = 0; c < 1000; ++c) {
    // 100 distinct keys: a key may appear only once in a batch.
    Batch batch;
    const std::uint64_t first = rng.Below(n);
    for (std::uint64_t j = 0; j < std::min<std::uint64_t>(100, n); ++j) {
      const std::uint64_t i = (first + j) % n;
      batch.Put(KeyOf(i), ValueOf(i + 1));
    }
    absl::StatusOr<CommitResult> r = (*e)->Commit(batch);
    if (!r.ok()) Die("probe commit", r.status());
  }
  const long written = RssKiB();
  std::printf("rss %ld %ld %ld %ld %ld\n", baseline, opened, read, written,
              PeakRssKiB());
  return 0;
}

std::string SelfExe() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

void MeasureRss(const std::string& dir, Figures& f) {
  Child probe(
      {SelfExe(), "--rss-probe=" + dir, "--keys=" + std::to_string(f.keys)});
  std::string line = probe.ReadLine();
  if (probe.Wait() != 0) {
    f.notes += " rss probe failed;";
    return;
  }
  std::vector<std::string> w = absl::StrSplit(line, ' ');
  if (w.size() != 6) return;
  long v[5];
  for (int i = 0; i < 5; ++i) {
    if (!absl::SimpleAtoi(w[i + 1], &v[i])) return;
  }
  std::printf(
      "  rss probe (KiB): baseline %ld, opened %ld, after 100 k reads "
      "%ld, after 100 k writes %ld, peak %ld\n",
      v[0], v[1], v[2], v[3], v[4]);
  f.rss_mib = (std::max(v[2], v[3]) - v[0]) / 1024.0;
  f.rss_peak_mib = (v[4] - v[0]) / 1024.0;
}

void MeasureHttpListing(const Flags& flags, const std::string& dir,
                        Figures& f) {
  if (flags.cask.empty() || access(flags.cask.c_str(), X_OK) != 0) {
    f.notes += " no cask program: HTTP listing not measured;";
    return;
  }
  Child server(
      {flags.cask, "--store", "cask://" + dir, "serve", "--port", "0"});
  std::string url = server.ReadLine();
  if (url.rfind("http", 0) != 0) {
    f.notes += " cask serve did not start;";
    return;
  }
  const long before = RssKiB(server.pid());
  const bool reset = ResetPeakRss(server.pid());
  auto t0 = std::chrono::steady_clock::now();
  Child curl({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w",
              "%{http_code} %{size_download}", url + "/" + kBase + "/"});
  std::string answer = curl.ReadLine();
  curl.Wait();
  const double secs = Seconds(t0);
  const long peak = PeakRssKiB(server.pid());
  std::printf(
      "  http listing: %s (status, bytes) in %.2f s; server RSS "
      "%ld KiB before, peak %ld KiB%s\n",
      answer.c_str(), secs, before, peak,
      reset ? "" : " (peak since start: clear_refs refused)");
  if (answer.rfind("200 ", 0) != 0) {
    f.notes += " http listing failed;";
    return;
  }
  f.http_mib = (peak - before) / 1024.0;
}

void Remove(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

Figures MeasureSize(const Flags& flags, std::uint64_t n) {
  Figures f;
  f.keys = n;
  const std::string raw_dir = absl::StrCat(flags.dir, "/raw-", n);
  const std::string cask_dir = absl::StrCat(flags.dir, "/cask-", n);
  const std::string plain_dir = absl::StrCat(flags.dir, "/cask-plain-", n);
  Remove(raw_dir);
  Remove(cask_dir);
  Remove(plain_dir);
  std::printf("== %llu keys (load average %s)\n",
              static_cast<unsigned long long>(n), LoadAverage().c_str());

  // Bulk load, once each, batch by batch in turn (the order rotating), so
  // that the three see the same machine load: the time until every write
  // is acknowledged, summed over the batches.
  {
    RawStore raw(raw_dir);
    std::unique_ptr<Engine> landed = OpenCask(cask_dir, Durability::kBuffered);
    std::unique_ptr<Engine> plain = OpenCask(plain_dir, Durability::kBuffered);
    double raw_s = 0, landed_s = 0, plain_s = 0;
    std::uint64_t step = 0;
    for (std::uint64_t i = 0; i < n; i += flags.load_batch, ++step) {
      const std::uint64_t count = std::min(flags.load_batch, n - i);
      for (std::uint64_t k = 0; k < 3; ++k) {
        auto t0 = std::chrono::steady_clock::now();
        switch ((step + k) % 3) {
          case 0:
            Phase(n, "raw-load");
            raw.LoadRange(i, count);
            raw_s += Seconds(t0);
            break;
          case 1:
            Phase(n, "engine-load");
            engine::TEST_SetCompressedIngestion(true);
            LoadCask(*landed, i, count, flags.load_batch);
            landed_s += Seconds(t0);
            break;
          default:
            Phase(n, "engine-load-plain");
            engine::TEST_SetCompressedIngestion(false);
            LoadCask(*plain, i, count, flags.load_batch);
            plain_s += Seconds(t0);
            break;
        }
      }
    }
    engine::TEST_SetCompressedIngestion(true);
    f.load_raw = n / raw_s;
    f.load_cask = n / landed_s;
    f.load_plain = n / plain_s;
    Phase(n, "other");
    raw.WaitForCompactions();
  }  // the engines' close waits for their compactions
  std::printf(
      "  load: raw %.0f keys/s, engine %.0f keys/s: %.2f; engine with "
      "uncompressed "
      "ingested files %.0f keys/s: %.2f\n",
      f.load_raw, f.load_cask, f.load_cask / f.load_raw, f.load_plain,
      f.load_plain / f.load_raw);
  std::fflush(stdout);
  if (flags.load_only) return f;

  Phase(n, "other");
  // Open time: the store was closed cleanly just now.
  {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      std::unique_ptr<Engine> engine = OpenCask(cask_dir, Durability::kDurable);
      ms.push_back(Seconds(t0) * 1e3);
    }
    f.open_ms = Median(ms);
    if (DropPageCache()) {
      auto t0 = std::chrono::steady_clock::now();
      std::unique_ptr<Engine> engine = OpenCask(cask_dir, Durability::kDurable);
      f.open_cold_ms = Seconds(t0) * 1e3;
    }
    std::printf(
        "  open: %.1f ms (median of 5), %.1f ms after dropping the "
        "page cache\n",
        f.open_ms, f.open_cold_ms);
  }

  // Cold Gets: page cache dropped, store freshly opened; the three stores
  // in a rotating order.
  {
    std::vector<std::string> keys = SampleKeys(n, flags.cold_ops, 1);
    bool dropped = true;
    GetRounds g = RotatedGetRounds(flags.rounds, "cold", [&](int which) {
      dropped = DropPageCache() && dropped;
      if (which == 0) {
        RawStore raw(raw_dir);
        Phase(n, "raw-get-cold");
        return TimeRawGets(raw, keys);
      }
      std::unique_ptr<Engine> engine =
          OpenCask(which == 1 ? cask_dir : plain_dir, Durability::kBuffered);
      Phase(n, which == 1 ? "engine-get-cold" : "engine-plain-get-cold");
      return TimeCaskGets(*engine, keys);
    });
    f.get_cold = g.engine_ratio;
    f.get_cold_plain = g.plain_ratio;
    f.get_cold_cask = g.engine_rate;
    if (!dropped) f.notes += " page cache not dropped (not root);";
  }

  // Both open at once from here: warm Gets, scans, then the CAS writes.
  {
    RawStore raw(raw_dir);
    std::unique_ptr<Engine> engine = OpenCask(cask_dir, Durability::kBuffered);
    std::unique_ptr<Engine> plain = OpenCask(plain_dir, Durability::kBuffered);
    std::vector<std::string> keys = SampleKeys(n, flags.get_ops, 2);
    Phase(n, "warm-up");
    TimeRawGets(raw, keys);  // warm-up passes
    TimeCaskGets(*engine, keys);
    TimeCaskGets(*plain, keys);
    GetRounds g = RotatedGetRounds(flags.rounds, "warm", [&](int which) {
      if (which == 0) {
        Phase(n, "raw-get-warm");
        return TimeRawGets(raw, keys);
      }
      Phase(n, which == 1 ? "engine-get-warm" : "engine-plain-get-warm");
      return TimeCaskGets(which == 1 ? *engine : *plain, keys);
    });
    plain.reset();
    f.get_warm = g.engine_ratio;
    f.get_warm_plain = g.plain_ratio;
    f.get_warm_cask = g.engine_rate;

    const std::uint64_t scan_keys = std::min(n, kScanKeys);
    std::vector<double> ratios, rates;
    for (int r = 0; r < flags.rounds; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      Phase(n, "raw-scan");
      std::uint64_t got = raw.Scan(scan_keys, kScanPage);
      double raw_rate = got / Seconds(t0);
      Phase(n, "engine-scan");
      double cask_rate = TimeCaskScan(*engine, scan_keys);
      if (std::isnan(cask_rate)) break;
      ratios.push_back(cask_rate / raw_rate);
      rates.push_back(cask_rate);
      std::printf("  scan round %d: raw %.0f/s, engine %.0f/s\n", r, raw_rate,
                  cask_rate);
    }
    f.scan = Median(ratios);
    f.scan_cask = Median(rates);
    if (ratios.empty()) f.notes += " engine Scan unimplemented;";

    rates.clear();
    std::vector<double> raw_rates;
    for (int r = 0; r < flags.rounds; ++r) {
      Phase(n, "engine-cas");
      rates.push_back(TimeCas(*engine, n, flags.cas_ops, 100 + r));
      // The same keys as the engine's round (TimeCas draws them alike).
      std::vector<std::string> cas_keys = SampleKeys(n, flags.cas_ops, 100 + r);
      Phase(n, "raw-cas");
      auto t0 = std::chrono::steady_clock::now();
      raw.GetPut(cas_keys, ValueOf(100 + r));
      raw_rates.push_back(cas_keys.size() / Seconds(t0));
      std::printf("  cas round %d: engine %.0f/s, raw Get + Put %.0f/s\n", r,
                  rates.back(), raw_rates.back());
    }
    f.cas_raw = Median(raw_rates);
    f.cas = Median(rates);
  }
  std::fflush(stdout);

  Phase(n, "other");
  MeasureRss(cask_dir, f);
  MeasureHttpListing(flags, cask_dir, f);
  if (!flags.keep) {
    Remove(raw_dir);
    Remove(cask_dir);
    Remove(plain_dir);
  }
  std::printf("  (load average %s)\n", LoadAverage().c_str());
  std::fflush(stdout);
  return f;
}

std::string Num(double v, const char* format = "%.2f") {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// The growth table of docs/benchmarks/scale.md (bench/plots/plot.py draws
// it), one row per size.
void PrintReport(const std::vector<Figures>& all) {
  double cas_base = kNaN;
  for (const Figures& f : all) {
    if (f.keys == 10'000) cas_base = f.cas;
  }
  std::printf(
      "\n| keys | bulk load / raw | Get warm / raw | Get cold / raw | CAS / "
      "CAS at 10 k | scan / raw | open (ms) | RSS above block cache (MiB) | "
      "HTTP listing peak RSS growth (MiB) |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  // The probe's RSS above its baseline includes the block cache, which a
  // user sizes (EngineOptions::block_cache_bytes); the goal is on the rest.
  const double cache_mib = EngineOptions{}.block_cache_bytes / 1048576.0;
  for (const Figures& f : all) {
    std::printf("| %llu | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                static_cast<unsigned long long>(f.keys),
                Num(f.load_cask / f.load_raw).c_str(), Num(f.get_warm).c_str(),
                Num(f.get_cold).c_str(), Num(f.cas / cas_base).c_str(),
                Num(f.scan).c_str(), Num(f.open_ms, "%.1f").c_str(),
                Num(f.rss_mib - cache_mib, "%.1f").c_str(),
                Num(f.http_mib, "%.1f").c_str());
  }
  std::printf(
      "\ndesigns: | keys | load / raw | load / raw "
      "(uncompressed ingestion) | Get warm / raw | Get warm / raw (store "
      "loaded uncompressed) | Get cold / raw | Get cold (uncompressed) | "
      "CAS engine/s | CAS raw Get+Put/s | CAS engine / raw |\n");
  for (const Figures& f : all) {
    std::printf("| %llu | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                static_cast<unsigned long long>(f.keys),
                Num(f.load_cask / f.load_raw).c_str(),
                Num(f.load_plain / f.load_raw).c_str(), Num(f.get_warm).c_str(),
                Num(f.get_warm_plain).c_str(), Num(f.get_cold).c_str(),
                Num(f.get_cold_plain).c_str(), Num(f.cas, "%.0f").c_str(),
                Num(f.cas_raw, "%.0f").c_str(), Num(f.cas / f.cas_raw).c_str());
  }
  std::printf("\nabsolute rates:\n");
  for (const Figures& f : all) {
    std::printf(
        "  %llu keys: load raw %s/s engine %s/s; Get warm %s/s cold %s/s; "
        "CAS %s/s; scan %s/s; cold open %s ms; probe peak %s MiB;%s\n",
        static_cast<unsigned long long>(f.keys),
        Num(f.load_raw, "%.0f").c_str(), Num(f.load_cask, "%.0f").c_str(),
        Num(f.get_warm_cask, "%.0f").c_str(),
        Num(f.get_cold_cask, "%.0f").c_str(), Num(f.cas, "%.0f").c_str(),
        Num(f.scan_cask, "%.0f").c_str(), Num(f.open_cold_ms, "%.1f").c_str(),
        Num(f.rss_peak_mib, "%.1f").c_str(), f.notes.c_str());
  }
}

bool ParseSizes(const std::string& text, std::vector<std::uint64_t>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::uint64_t v;
    if (!absl::SimpleAtoi(part, &v) || v == 0) return false;
    out->push_back(v);
  }
  return !out->empty();
}

int Main(int argc, char** argv) {
  Flags flags;
  flags.dir = (std::filesystem::temp_directory_path() /
               absl::StrCat("cask-scale-", getpid()))
                  .string();
  // Beside this program in a build tree: <build>/bench/scale/bench_scale.
  flags.cask =
      (std::filesystem::path(SelfExe()).parent_path() / "../../tools/cask")
          .lexically_normal()
          .string();
  std::string probe;
  std::uint64_t probe_keys = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (a.rfind(name, 0) != 0) return std::nullopt;
      return std::string(a.substr(name.size()));
    };
    bool ok = true;
    if (auto v = value("--sizes=")) {
      ok = ParseSizes(*v, &flags.sizes);
    } else if (auto v = value("--dir=")) {
      flags.dir = std::filesystem::absolute(*v).string();
    } else if (auto v = value("--cask=")) {
      flags.cask = *v;
    } else if (auto v = value("--rounds=")) {
      ok = absl::SimpleAtoi(*v, &flags.rounds) && flags.rounds > 0;
    } else if (auto v = value("--get-ops=")) {
      ok = absl::SimpleAtoi(*v, &flags.get_ops) && flags.get_ops > 0;
    } else if (auto v = value("--cold-ops=")) {
      ok = absl::SimpleAtoi(*v, &flags.cold_ops) && flags.cold_ops > 0;
    } else if (auto v = value("--cas-ops=")) {
      ok = absl::SimpleAtoi(*v, &flags.cas_ops) && flags.cas_ops > 0;
    } else if (auto v = value("--load-batch=")) {
      ok = absl::SimpleAtoi(*v, &flags.load_batch) && flags.load_batch > 0;
    } else if (a == "--phases") {
      g_phases = true;
    } else if (a == "--load-only") {
      flags.load_only = true;
    } else if (a == "--keep") {
      flags.keep = true;
    } else if (auto v = value("--rss-probe=")) {
      probe = *v;
    } else if (auto v = value("--keys=")) {
      ok = absl::SimpleAtoi(*v, &probe_keys) && probe_keys > 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bench_scale: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!probe.empty()) return RssProbe(probe, probe_keys);

  std::filesystem::create_directories(flags.dir);
  std::printf(
      "bench_scale: stores in %s, cask program %s, load batches of "
      "%llu keys\n",
      flags.dir.c_str(), flags.cask.c_str(),
      static_cast<unsigned long long>(flags.load_batch));
  std::vector<Figures> all;
  for (std::uint64_t n : flags.sizes) all.push_back(MeasureSize(flags, n));
  PrintReport(all);
  if (!flags.keep) Remove(flags.dir);
  return 0;
}

}  // namespace
}  // namespace cask::bench

int main(int argc, char** argv) { return cask::bench::Main(argc, argv); }
