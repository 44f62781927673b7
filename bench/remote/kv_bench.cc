// Redis and etcd adapters: CAS throughput against the backend's own
// unconditional write through the same client library, in the same run,
// plus round trips (server-side requests) per operation.
//
//   CASK_BENCH_REDIS_URL  redis://127.0.0.1:16379/0  (else CASK_TEST_REDIS_URL)
//   CASK_BENCH_ETCD_URL   etcd://127.0.0.1:12379     (else CASK_TEST_ETCD_URL)
// A backend without a URL reports its benchmarks as skipped.
//
// Counters: server_requests_per_op = requests the server handled per
// iteration (Redis: calls of SET, EVALSHA and EVAL, not the commands run
// inside scripts; etcd: gRPC KV and Lease calls), i.e. round trips per
// operation. docs/benchmarks/kv.md has the
// figures and the exact command.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench_util.h"
#include "cask/driver.h"
#include "cask/string_view_compat.h"

#if CASK_BENCH_REDIS
#include <hiredis/hiredis.h>

#include "redis_store.h"
#endif
#if CASK_BENCH_ETCD
#include <curl/curl.h>

#include "absl/strings/escaping.h"
#include "etcd_store.h"
#endif

namespace {

using cask::bench::kValue;
using cask::bench::RunId;

cask::WriteOptions IfMatch(std::string etag) {
  return cask::bench::When(cask::Precondition::IfMatch(std::move(etag)));
}

// The options in $bench_var (else $test_var); false, with the benchmark
// skipped, when neither is set or its URL is bad.
template <typename Options>
bool OptionsFromEnv(benchmark::State& state, const char* bench_var,
                    const char* test_var, Options* options) {
  std::string url = cask::bench::Env(bench_var, test_var);
  if (url.empty()) {
    state.SkipWithError(absl::StrCat("skipped: no ", bench_var).c_str());
    return false;
  }
  absl::StatusOr<Options> o = Options::FromUri(url);
  if (!o.ok()) {
    state.SkipWithError(o.status().ToString().c_str());
    return false;
  }
  *options = *std::move(o);
  return true;
}

// The opened store, or null with the benchmark skipped.
std::unique_ptr<cask::Driver> OpenedOrSkip(
    benchmark::State& state,
    absl::StatusOr<std::unique_ptr<cask::Driver>> store) {
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(store);
}

// Sets server_requests_per_op from the server's request counter read
// before and after the loop, less `overhead` requests outside it.
void ReportRequests(benchmark::State& state, double before, double after,
                    double overhead) {
  if (state.iterations() == 0) return;
  state.counters["server_requests_per_op"] =
      (after - before - overhead) / static_cast<double>(state.iterations());
}

// Runs a CAS loop: each iteration swaps `key` on the etag of the last
// write.
void CasLoop(benchmark::State& state, cask::Driver& store,
             const std::string& key) {
  absl::StatusOr<std::string> etag = store.Set(key, kValue);
  if (!etag.ok()) {
    state.SkipWithError(etag.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    etag = store.Set(key, kValue, IfMatch(*etag));
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      return;
    }
  }
}

// The store's unconditional Set, over and over; `requests` reads the
// server's request counter.
template <typename Requests>
void SetLoop(benchmark::State& state, cask::Driver& store, Requests requests) {
  double before = requests();
  for (auto _ : state) {
    absl::StatusOr<std::string> e = store.Set("plain", kValue);
    if (!e.ok()) {
      state.SkipWithError(e.status().ToString().c_str());
      return;
    }
  }
  ReportRequests(state, before, requests(), 0);
}

// A batch swapping four keys, each on the etag of its last write.
template <typename Requests>
void Commit4Loop(benchmark::State& state, cask::Driver& store,
                 Requests requests) {
  std::string etags[4];
  for (int i = 0; i < 4; ++i) {
    etags[i] = *store.Set(absl::StrCat("ref:", i), kValue);
  }
  double before = requests();
  for (auto _ : state) {
    cask::Batch batch;
    for (int i = 0; i < 4; ++i) {
      batch.Put(absl::StrCat("ref:", i), kValue, IfMatch(etags[i]));
    }
    absl::StatusOr<cask::CommitResult> r = store.Commit(batch);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    for (int i = 0; i < 4; ++i) etags[i] = r->etags[i];
  }
  ReportRequests(state, before, requests(), 0);
}

#if CASK_BENCH_REDIS
// ---------------------------------------------------------------- Redis

struct RedisRaw {
  redisContext* c = nullptr;
  ~RedisRaw() {
    if (c) redisFree(c);
  }
  // Calls of the commands a client sends itself in these benchmarks: SET
  // (the baseline) and EVALSHA / EVAL (every store write). Commands run
  // inside scripts are not counted: Redis counts them in
  // total_commands_processed but they cost no round trip.
  double Commands() {
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO commandstats"));
    double n = 0;
    if (r && r->type == REDIS_REPLY_STRING) {
      for (absl::string_view line :
           absl::StrSplit(absl::string_view(r->str, r->len), "\r\n")) {
        for (absl::string_view cmd :
             {"cmdstat_set:calls=", "cmdstat_evalsha:calls=",
              "cmdstat_eval:calls="}) {
          if (absl::ConsumePrefix(&line, cmd)) {
            double v = 0;
            if (absl::SimpleAtod(line.substr(0, line.find(',')), &v)) n += v;
          }
        }
      }
    }
    if (r) freeReplyObject(r);
    return n;
  }
};

std::unique_ptr<RedisRaw> RedisConnect(benchmark::State& state,
                                       cask::RedisOptions* options) {
  cask::RedisOptions* o = options;
  if (!OptionsFromEnv(state, "CASK_BENCH_REDIS_URL", "CASK_TEST_REDIS_URL",
                      o)) {
    return nullptr;
  }
  o->prefix = absl::StrCat("cask-bench:", RunId(), ":");
  auto raw = std::make_unique<RedisRaw>();
  raw->c = redisConnect(o->host.c_str(), o->port);
  if (raw->c == nullptr || raw->c->err) {
    state.SkipWithError("skipped: redis unreachable");
    return nullptr;
  }
  if (o->db != 0) {
    freeReplyObject(redisCommand(raw->c, "SELECT %u", o->db));
  }
  return raw;
}

// Baseline: hiredis SET, the backend's own unconditional write.
void BM_Redis_RawSet(benchmark::State& state) {
  cask::RedisOptions o;
  auto raw = RedisConnect(state, &o);
  if (!raw) return;
  std::string key = o.prefix + "raw";
  double before = raw->Commands();
  for (auto _ : state) {
    auto* r = static_cast<redisReply*>(
        redisCommand(raw->c, "SET %b %b", key.data(), key.size(), kValue.data(),
                     kValue.size()));
    if (r == nullptr) {
      state.SkipWithError("SET failed");
      return;
    }
    freeReplyObject(r);
  }
  ReportRequests(state, before, raw->Commands(), 0);
}
BENCHMARK(BM_Redis_RawSet);

void BM_Redis_StoreSet(benchmark::State& state) {
  cask::RedisOptions o;
  auto raw = RedisConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenRedisStore(o));
  if (!store) return;
  SetLoop(state, *store, [&] { return raw->Commands(); });
}
BENCHMARK(BM_Redis_StoreSet);

void BM_Redis_StoreCas(benchmark::State& state) {
  cask::RedisOptions o;
  auto raw = RedisConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenRedisStore(o));
  if (!store) return;
  store->Set("cas", kValue).IgnoreError();
  double before = raw->Commands();
  CasLoop(state, *store, "cas");
  // CasLoop's initial Set.
  ReportRequests(state, before, raw->Commands(), 1);
}
BENCHMARK(BM_Redis_StoreCas);

void BM_Redis_StoreCommit4(benchmark::State& state) {
  cask::RedisOptions o;
  auto raw = RedisConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenRedisStore(o));
  if (!store) return;
  Commit4Loop(state, *store, [&] { return raw->Commands(); });
}
BENCHMARK(BM_Redis_StoreCommit4);
#endif  // CASK_BENCH_REDIS

#if CASK_BENCH_ETCD
// ----------------------------------------------------------------- etcd

std::size_t Collect(char* p, std::size_t s, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

// A plain libcurl client of the same gateway.
struct EtcdRaw {
  std::string base;
  CURL* c = curl_easy_init();
  ~EtcdRaw() { curl_easy_cleanup(c); }

  bool Call(const std::string& path, const std::string& body, std::string* out,
            bool post = true, bool fresh = false) {
    std::string url = base + path;
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTPGET, post ? 0L : 1L);
    if (post) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                       static_cast<long>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    long code = 0;
    bool ok = curl_easy_perform(c) == CURLE_OK;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return ok && code == 200;
  }

  // gRPC KV and Lease calls the server has handled.
  double Requests() {
    std::string text;
    if (!Call("/metrics", "", &text, false)) return 0;
    double total = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::StartsWith(line, "grpc_server_handled_total{")) continue;
      if (!absl::StrContains(line, "etcdserverpb.KV") &&
          !absl::StrContains(line, "etcdserverpb.Lease")) {
        continue;
      }
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) total += v;
    }
    return total;
  }
};

std::unique_ptr<EtcdRaw> EtcdConnect(benchmark::State& state,
                                     cask::EtcdOptions* options) {
  cask::EtcdOptions* o = options;
  if (!OptionsFromEnv(state, "CASK_BENCH_ETCD_URL", "CASK_TEST_ETCD_URL", o)) {
    return nullptr;
  }
  o->prefix = absl::StrCat("cask-bench/", RunId(), "/");
  auto raw = std::make_unique<EtcdRaw>();
  raw->base = absl::StrCat("http://", o->host, ":", o->port);
  return raw;
}

// Baseline: the gateway's put through libcurl. Arg 0: connection reused
// (the backend's best case); arg 1: a new connection per put, as the store
// does for every write.
void BM_Etcd_RawPut(benchmark::State& state) {
  cask::EtcdOptions o;
  auto raw = EtcdConnect(state, &o);
  if (!raw) return;
  const bool fresh = state.range(0) == 1;
  std::string body =
      absl::StrCat(R"({"key":")", absl::Base64Escape(o.prefix + "raw"),
                   R"(","value":")", absl::Base64Escape(kValue), R"("})");
  double before = raw->Requests();
  for (auto _ : state) {
    std::string out;
    if (!raw->Call("/v3/kv/put", body, &out, true, fresh)) {
      state.SkipWithError("put failed");
      return;
    }
  }
  ReportRequests(state, before, raw->Requests(), 0);
}
BENCHMARK(BM_Etcd_RawPut)
    ->ArgName("fresh_connection")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime();

// The store's unconditional Set: the same put, on a fresh connection.
void BM_Etcd_StoreSet(benchmark::State& state) {
  cask::EtcdOptions o;
  auto raw = EtcdConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenEtcdStore(o));
  if (!store) return;
  SetLoop(state, *store, [&] { return raw->Requests(); });
}
BENCHMARK(BM_Etcd_StoreSet)->UseRealTime();

// Swap on one etag: one txn comparing mod_revision.
void BM_Etcd_StoreCas(benchmark::State& state) {
  cask::EtcdOptions o;
  auto raw = EtcdConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenEtcdStore(o));
  if (!store) return;
  double before = raw->Requests();
  CasLoop(state, *store, "cas");
  ReportRequests(state, before, raw->Requests(), 1);
}
BENCHMARK(BM_Etcd_StoreCas)->UseRealTime();

// An etag list: a range read, then a txn pinned on what it read.
void BM_Etcd_StoreCasList(benchmark::State& state) {
  cask::EtcdOptions o;
  auto raw = EtcdConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenEtcdStore(o));
  if (!store) return;
  absl::StatusOr<std::string> etag = store->Set("list", kValue);
  double before = raw->Requests();
  for (auto _ : state) {
    cask::WriteOptions w;
    w.precondition.if_match = std::vector<std::string>{"1", *etag};
    etag = store->Set("list", kValue, w);
    if (!etag.ok()) {
      state.SkipWithError(etag.status().ToString().c_str());
      return;
    }
  }
  ReportRequests(state, before, raw->Requests(), 0);
}
BENCHMARK(BM_Etcd_StoreCasList)->UseRealTime();

void BM_Etcd_StoreCommit4(benchmark::State& state) {
  cask::EtcdOptions o;
  auto raw = EtcdConnect(state, &o);
  if (!raw) return;
  auto store = OpenedOrSkip(state, cask::OpenEtcdStore(o));
  if (!store) return;
  Commit4Loop(state, *store, [&] { return raw->Requests(); });
}
BENCHMARK(BM_Etcd_StoreCommit4)->UseRealTime();
#endif  // CASK_BENCH_ETCD

}  // namespace

BENCHMARK_MAIN();
