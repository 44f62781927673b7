// Conditional PUT throughput of the object-store adapters against their
// unconditional PUT, through the same client in the same run (docs/
// benchmarks/objectstore.md). Each store runs whose test URL is set
// (CASK_TEST_S3_URL, CASK_TEST_AZURE_BLOB_URL, CASK_TEST_AZURE_TABLE_URL;
// tests/servers/with-servers.sh sets them all). 1 KiB values.
//
// Every iteration times one unconditional PUT (the baseline) and then one
// conditional PUT, so both see the same load on a shared machine:
//   swap         if_match <the etag just returned>: native If-Match
//   create_only  if_none_match * on a fresh key: native If-None-Match *
//                (Insert Entity on Azure Table)
//   emulated     if_match {<etag>, <foreign etag>}: a list, which no
//                service evaluates, so HEAD + pinned PUT
// Counters: put_per_s, cond_per_s and ratio = cond_per_s / put_per_s; a
// summary of their medians over --benchmark_repetitions ends the output.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "azure_blob_store.h"
#include "azure_table_store.h"
#include "cask/status.h"
#include "http_client.h"
#include "s3_store.h"

namespace {

using cask::Driver;
using cask::Precondition;
using cask::WriteOptions;

const std::string kValue(1024, 'v');

std::string WithPrefix(const std::string& base, const std::string& prefix) {
  std::size_t q = base.find('?');
  if (q == std::string::npos) return absl::StrCat(base, "/", prefix);
  return absl::StrCat(base.substr(0, q), "/", prefix, base.substr(q));
}

// One conditional shape: `prepare` runs untimed once, `op(i)` is the timed
// conditional write of iteration i.
struct Shape {
  std::string name;
  std::function<absl::Status(Driver&)> prepare;
  std::function<absl::Status(Driver&, int)> op;
};

// Each iteration times one unconditional PUT (the baseline) and then one
// conditional PUT through the same client, so both see the same machine
// load; the counters give both rates and their ratio.
void Interleaved(benchmark::State& state, Driver* store, const Shape* shape) {
  if (absl::Status s = shape->prepare(*store); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  absl::Duration put_time, cond_time;
  int i = 0;
  for (auto _ : state) {
    absl::Time t0 = absl::Now();
    auto r = store->Set(absl::StrCat("put:", i % 64), kValue);
    absl::Time t1 = absl::Now();
    absl::Status c = shape->op(*store, i);
    absl::Time t2 = absl::Now();
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
    if (!c.ok()) return state.SkipWithError(c.ToString().c_str());
    put_time += t1 - t0;
    cond_time += t2 - t1;
    ++i;
  }
  double put_rate = i / absl::ToDoubleSeconds(put_time);
  double cond_rate = i / absl::ToDoubleSeconds(cond_time);
  state.counters["put_per_s"] = put_rate;
  state.counters["cond_per_s"] = cond_rate;
  state.counters["ratio"] = cond_rate / put_rate;
}

std::vector<Shape> Shapes() {
  auto etag = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>(kValue);
  auto run = std::make_shared<int>(0);
  // A chain of swaps on one key: each carries the etag just returned, and
  // a new content (S3 etags hash the content).
  auto swap_prepare = [=](const std::string& key) {
    return [=](Driver& d) -> absl::Status {
      auto e = d.Set(key, *value);
      if (!e.ok()) return e.status();
      *etag = *e;
      return absl::OkStatus();
    };
  };
  auto swap = [=](const std::string& key, bool as_list) {
    return [=](Driver& d, int) -> absl::Status {
      (*value)[0] ^= 1;
      WriteOptions o;
      o.precondition =
          as_list
              ? Precondition{std::vector<std::string>{*etag, "never-issued"},
                             {}}
              : Precondition::IfMatch(*etag);
      auto e = d.Set(key, *value, o);
      if (!e.ok()) return e.status();
      *etag = *e;
      return absl::OkStatus();
    };
  };
  return {
      {"swap", swap_prepare("swap"), swap("swap", false)},
      {"create_only",
       [=](Driver&) {
         ++*run;
         return absl::OkStatus();
       },
       [=](Driver& d, int i) {
         WriteOptions o;
         o.precondition = Precondition::CreateOnly();
         return d.Set(absl::StrCat("create:", *run, ":", i), kValue, o)
             .status();
       }},
      {"emulated", swap_prepare("emulated"), swap("emulated", true)},
  };
}

// Keeps the ratio counter of every run for the summary.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      for (const char* c : {"put_per_s", "cond_per_s", "ratio"}) {
        auto it = run.counters.find(c);
        if (it != run.counters.end()) {
          values_[run.run_name.function_name][c].push_back(it->second.value);
        }
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // Median over the repetitions of `name`'s counter `c`, or 0.
  double Median(const std::string& name, const std::string& c) const {
    auto it = values_.find(name);
    if (it == values_.end()) return 0;
    auto jt = it->second.find(c);
    if (jt == it->second.end() || jt->second.empty()) return 0;
    std::vector<double> v = jt->second;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }

 private:
  std::map<std::string, std::map<std::string, std::vector<double>>> values_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  struct Store {
    std::string name;
    std::unique_ptr<Driver> driver;
  };
  std::vector<Store> stores;
  const std::string run = cask::objstore::RandomHex(4);
  if (const char* u = std::getenv("CASK_TEST_S3_URL")) {
    auto s = cask::OpenS3StoreUri(WithPrefix(u, "bench-" + run));
    if (s.ok())
      stores.push_back({"s3", *std::move(s)});
    else
      std::fprintf(stderr, "s3: %s\n", s.status().ToString().c_str());
  }
  if (const char* u = std::getenv("CASK_TEST_AZURE_BLOB_URL")) {
    auto s = cask::OpenAzureBlobStoreUri(WithPrefix(u, "bench-" + run));
    if (s.ok())
      stores.push_back({"azure_blob", *std::move(s)});
    else
      std::fprintf(stderr, "azure_blob: %s\n", s.status().ToString().c_str());
  }
  if (const char* u = std::getenv("CASK_TEST_AZURE_TABLE_URL")) {
    auto s =
        cask::OpenAzureTableStoreUri(absl::StrCat(u, "&partition=bench-", run));
    if (s.ok())
      stores.push_back({"azure_table", *std::move(s)});
    else
      std::fprintf(stderr, "azure_table: %s\n", s.status().ToString().c_str());
  }
  if (stores.empty()) {
    std::fprintf(
        stderr,
        "no object store URL set: run under tests/servers/with-servers.sh\n");
    return 1;
  }
  static const std::vector<Shape> shapes = Shapes();
  for (Store& s : stores) {
    for (const Shape& shape : shapes) {
      benchmark::RegisterBenchmark((s.name + "/" + shape.name).c_str(),
                                   Interleaved, s.driver.get(), &shape)
          ->UseRealTime()
          ->MinTime(2.0);
    }
  }
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf(
      "\nconditional PUT vs unconditional PUT, interleaved through the same "
      "client "
      "(medians over repetitions)\n");
  for (Store& s : stores) {
    for (const Shape& shape : shapes) {
      std::string name = s.name + "/" + shape.name;
      std::printf("%-24s put %7.0f/s  conditional %7.0f/s  ratio %.2f\n",
                  name.c_str(), reporter.Median(name, "put_per_s"),
                  reporter.Median(name, "cond_per_s"),
                  reporter.Median(name, "ratio"));
    }
    (void)s.driver->Clear();
  }
  benchmark::Shutdown();
  return 0;
}
