// The http adapter against cask serve on loopback (memory store behind the
// server), next to the same calls on the memory store directly: the
// baseline measured in the same run, so the ratio is the cost of HTTP.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "cask/open.h"
#include "http_store.h"
#include "server.h"

namespace {

struct Fixture {
  std::shared_ptr<cask::Driver> memory;
  std::unique_ptr<cask::server::Server> server;
  std::unique_ptr<cask::Driver> http;
  // The same server through a client without the conditional-GET cache.
  std::unique_ptr<cask::Driver> http_uncached;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    fx->memory = std::shared_ptr<cask::Driver>(*cask::OpenStore("mem:"));
    cask::server::ServerOptions options;
    options.port = 0;
    fx->server = *cask::server::Server::Start(
        std::shared_ptr<cask::Driver>(*cask::OpenStore("mem:")), options);
    fx->http = *cask::OpenHttpStoreUri(fx->server->url());
    fx->http_uncached =
        *cask::OpenHttpStoreUri(fx->server->url() + "?cache_bytes=0");
    return fx;
  }();
  return *f;
}

void Read(benchmark::State& state, cask::Driver& store,
          std::size_t value_bytes = 100) {
  (void)store.Set("bench:k", std::string(value_bytes, 'v'));
  for (auto _ : state) {
    auto item = store.Get("bench:k");
    if (!item.ok()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(item);
  }
}

// Read-modify-write by if-match: one swap per iteration.
void Swap(benchmark::State& state, cask::Driver& store) {
  std::string etag = *store.Set("bench:cas", "0");
  cask::WriteOptions o;
  for (auto _ : state) {
    o.precondition = cask::Precondition::IfMatch(etag);
    auto next = store.Set("bench:cas", std::string(100, 'v'), o);
    if (!next.ok()) state.SkipWithError("swap failed");
    etag = *next;
  }
}

void BM_Get_MemoryBaseline(benchmark::State& s) { Read(s, *Get().memory); }
void BM_Get_Http(benchmark::State& s) { Read(s, *Get().http); }
void BM_IfMatchSet_MemoryBaseline(benchmark::State& s) {
  Swap(s, *Get().memory);
}
void BM_IfMatchSet_Http(benchmark::State& s) { Swap(s, *Get().http); }

// A 64 KiB value read again and again: revalidated by etag (304, the value
// is not sent again) vs read in full every time.
void BM_Get64KiB_Http_Revalidated(benchmark::State& s) {
  Read(s, *Get().http, 64 << 10);
}
void BM_Get64KiB_Http_Full(benchmark::State& s) {
  Read(s, *Get().http_uncached, 64 << 10);
}

BENCHMARK(BM_Get_MemoryBaseline);
BENCHMARK(BM_Get_Http)->UseRealTime();
BENCHMARK(BM_IfMatchSet_MemoryBaseline);
BENCHMARK(BM_IfMatchSet_Http)->UseRealTime();
BENCHMARK(BM_Get64KiB_Http_Full)->UseRealTime();
BENCHMARK(BM_Get64KiB_Http_Revalidated)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
