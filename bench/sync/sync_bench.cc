// Sync throughput against the remote adapter's own throughput, in one run
// (docs/benchmarks/sync.md). Remotes: `cask serve` on an engine store (in
// this process, through the http adapter); Redis and etcd when
// CASK_TEST_REDIS_URL / CASK_TEST_ETCD_URL are set (tests/servers/*.sh).
// Designs of Sync measured side by side ($SYNC_BENCH_DESIGNS picks):
//   per-key   push_batch 1, read_parallelism 1, bulk_pull off: one request
//             at a time;
//   batched   pushes in remote Commits of 100 writes, pulls with one Get
//             per key, 8 in flight (the earlier defaults);
//   bulk      Commits of 100; pulls take values from the feed page or the
//             scan page (bulk_pull), other reads one at a time;
//   bulk-p8   the same with 8 reads in flight.
//
//   sync_bench [N] [RUNS]   (N keys per run, default 2000; RUNS default 3;
//                            values 100 bytes; SYNC_BENCH_REMOTES=http,redis
//                            picks remotes)
//
// Per remote and design, medians of RUNS: adapter Set and Get rates alone
// (one key at a time, as an application calls them); push rate (n local
// writes to an empty remote) and pull rate (those n into a second, empty
// device) of Sync::RunOnce and their ratios to Set / Get; time, requests
// and bytes on the wire (both ways, through a counting TCP forwarder) to
// converge after reconnect with 10,000 pending local changes on a synced
// device; requests of a round when nothing changed.
#include <stdlib.h>
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
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "byte_counting_proxy.h"
#include "cask/engine.h"
#include "cask/open.h"
#include "cask/sync.h"
#include "server.h"

namespace {

using cask::Driver;
using cask::bench::ByteCountingProxy;

constexpr int kPending = 10000;

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/cask-sync-bench.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

void Check(const absl::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

std::shared_ptr<Driver> OpenEngine(const std::string& path) {
  auto e = cask::Engine::Open(path);
  Check(e.status(), "open engine");
  return std::shared_ptr<Driver>(*std::move(e));
}

// "scheme://host:port/rest" -> port (the servers of tests/servers listen
// on 127.0.0.1).
int PortOf(const std::string& url) {
  std::string_view rest(url);
  rest.remove_prefix(rest.find("://") + 3);
  rest = rest.substr(rest.find(':') + 1);
  int port = 0;
  std::string digits(rest.substr(0, rest.find_first_of("/?")));
  if (!absl::SimpleAtoi(digits, &port)) {
    std::fprintf(stderr, "no port in %s\n", url.c_str());
    std::exit(1);
  }
  return port;
}

// A fresh empty remote of the kind under test, reached directly or through
// a byte-counting forwarder; keeps its server alive.
class Remote {
 public:
  Remote(const std::string& kind, bool counted) {
    static int serial = 0;
    ++serial;
    std::string url;
    int port = 0;
    std::string rest;
    if (kind == "http") {
      dir_ = std::make_unique<Dir>();
      cask::server::ServerOptions options;
      options.port = 0;
      auto server =
          cask::server::Server::Start(OpenEngine(dir_->path + "/s"), options);
      Check(server.status(), "serve");
      server_ = *std::move(server);
      port = server_->port();
      url = "http://127.0.0.1:";
    } else {
      std::string env = std::getenv(kind == "redis" ? "CASK_TEST_REDIS_URL"
                                                    : "CASK_TEST_ETCD_URL");
      port = PortOf(env);
      std::string prefix = absl::StrCat("syncbench", getpid(), "-", serial);
      url = absl::StrCat(kind, "://127.0.0.1:");
      rest = kind == "redis" ? absl::StrCat("/0?prefix=", prefix, ":")
                             : absl::StrCat("?prefix=", prefix, "/");
    }
    if (counted) {
      proxy_ = std::make_unique<ByteCountingProxy>(port);
      port = proxy_->port();
    }
    auto c = cask::OpenStore(absl::StrCat(url, port, rest));
    Check(c.status(), "open remote");
    client_ = std::shared_ptr<Driver>(*std::move(c));
  }
  ~Remote() {
    if (client_) Check(client_->Clear(), "clear remote");
  }

  std::shared_ptr<Driver> client() { return client_; }
  ByteCountingProxy& proxy() { return *proxy_; }

 private:
  std::unique_ptr<Dir> dir_;
  std::unique_ptr<cask::server::Server> server_;
  std::unique_ptr<ByteCountingProxy> proxy_;
  std::shared_ptr<Driver> client_;
};

std::string Key(int i) { return absl::StrCat("bench:", i); }
const std::string kValue(100, 'v');

// Writes keys [0, n) locally in commits of 1000 (setup, not measured).
void WriteLocal(Driver& local, int n, const std::string& value) {
  for (int i = 0; i < n; i += 1000) {
    cask::Batch b;
    for (int j = i; j < std::min(n, i + 1000); ++j) b.Put(Key(j), value);
    Check(local.Commit(b).status(), "local commit");
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double PerSecond(int n, absl::Duration d) {
  return n / absl::ToDoubleSeconds(d);
}

struct Design {
  const char* name;
  std::size_t push_batch;
  std::size_t read_parallelism;
  bool bulk_pull;
};
constexpr Design kAllDesigns[] = {{"per-key", 1, 1, false},
                                  {"batched", 100, 8, false},
                                  {"bulk", 100, 1, true},
                                  {"bulk-p8", 100, 8, true}};

// $SYNC_BENCH_DESIGNS (comma-separated names) picks designs; default all.
std::vector<Design> Designs() {
  const char* env = std::getenv("SYNC_BENCH_DESIGNS");
  if (env == nullptr || *env == '\0') {
    return std::vector<Design>(std::begin(kAllDesigns), std::end(kAllDesigns));
  }
  std::vector<std::string> names = absl::StrSplit(env, ',');
  std::vector<Design> out;
  for (const Design& d : kAllDesigns) {
    if (std::find(names.begin(), names.end(), d.name) != names.end()) {
      out.push_back(d);
    }
  }
  return out;
}

cask::SyncOptions OptionsFor(const Design& d) {
  cask::SyncOptions o;
  o.push_batch = d.push_batch;
  o.read_parallelism = d.read_parallelism;
  o.bulk_pull = d.bulk_pull;
  return o;
}

std::unique_ptr<cask::Sync> MakeSync(std::shared_ptr<Driver> local,
                                     std::shared_ptr<Driver> remote,
                                     const Design& d) {
  auto s =
      cask::Sync::Create(std::move(local), std::move(remote), OptionsFor(d));
  Check(s.status(), "sync");
  return *std::move(s);
}

struct Samples {
  std::vector<double> push, pull, converge_s, converge_requests, converge_bytes,
      idle_requests;
};

void MeasureDesign(const std::string& kind, const Design& d, int n,
                   Samples& out) {
  // Push n local changes to an empty remote, then pull them into a second
  // empty device; then a round with nothing to do.
  {
    Remote r(kind, false);
    Dir a, b;
    auto la = OpenEngine(a.path + "/l"), lb = OpenEngine(b.path + "/l");
    WriteLocal(*la, n, kValue);
    auto sa = MakeSync(la, r.client(), d);
    absl::Time t0 = absl::Now();
    auto rep = sa->RunOnce();
    Check(rep.status(), "push");
    out.push.push_back(PerSecond(n, absl::Now() - t0));
    if (rep->counts.pushed != static_cast<std::uint64_t>(n)) {
      std::fprintf(stderr, "pushed %llu of %d\n",
                   static_cast<unsigned long long>(rep->counts.pushed), n);
      std::exit(1);
    }
    auto sb = MakeSync(lb, r.client(), d);
    t0 = absl::Now();
    rep = sb->RunOnce();
    Check(rep.status(), "pull");
    out.pull.push_back(PerSecond(n, absl::Now() - t0));
    if (rep->counts.pulled != static_cast<std::uint64_t>(n)) {
      std::fprintf(stderr, "pulled %llu of %d\n",
                   static_cast<unsigned long long>(rep->counts.pulled), n);
      std::exit(1);
    }
    rep = sb->RunOnce();
    Check(rep.status(), "idle");
    out.idle_requests.push_back(rep->counts.remote_requests);
  }
  // A synced device reconnects with 10,000 pending local changes (the keys
  // exist on both sides; each changed once while offline).
  {
    Remote r(kind, true);
    Dir a;
    auto la = OpenEngine(a.path + "/l");
    WriteLocal(*la, kPending, kValue);
    auto sa = MakeSync(la, r.client(), d);
    Check(sa->RunOnce().status(), "first sync");
    WriteLocal(*la, kPending, std::string(100, 'w'));
    r.proxy().ResetCounts();
    absl::Time t0 = absl::Now();
    auto rep = sa->RunOnce();
    Check(rep.status(), "converge");
    out.converge_s.push_back(absl::ToDoubleSeconds(absl::Now() - t0));
    out.converge_requests.push_back(rep->counts.remote_requests);
    out.converge_bytes.push_back(r.proxy().bytes_up() + r.proxy().bytes_down());
    if (rep->counts.pushed != static_cast<std::uint64_t>(kPending)) {
      std::fprintf(stderr, "converge pushed %llu of %d\n",
                   static_cast<unsigned long long>(rep->counts.pushed),
                   kPending);
      std::exit(1);
    }
  }
}

void Run(const std::string& kind, int n, int runs) {
  std::vector<double> set_rate, get_rate;
  std::map<std::string, Samples> by_design;
  for (int run = 0; run < runs; ++run) {
    // The adapter alone: n Sets, then n Gets, one at a time.
    {
      Remote r(kind, false);
      absl::Time t0 = absl::Now();
      for (int i = 0; i < n; ++i) {
        Check(r.client()->Set(Key(i), kValue).status(), "set");
      }
      set_rate.push_back(PerSecond(n, absl::Now() - t0));
      t0 = absl::Now();
      for (int i = 0; i < n; ++i) {
        Check(r.client()->Get(Key(i)).status(), "get");
      }
      get_rate.push_back(PerSecond(n, absl::Now() - t0));
    }
    for (const Design& d : Designs()) {
      MeasureDesign(kind, d, n, by_design[d.name]);
    }
  }
  double set = Median(set_rate), get = Median(get_rate);
  std::printf("remote %s: %d keys x 100 B, medians of %d runs\n", kind.c_str(),
              n, runs);
  std::printf("  adapter alone: Set %.0f/s, Get %.0f/s\n", set, get);
  for (const Design& d : Designs()) {
    const Samples& s = by_design[d.name];
    double push = Median(s.push), pull = Median(s.pull);
    std::printf(
        "  %-8s push %.0f keys/s = %.2f x Set; pull %.0f keys/s = %.2f x "
        "Get\n",
        d.name, push, push / set, pull, pull / get);
    std::printf(
        "  %-8s converge, %d pending: %.2f s, %.0f requests, %.2f MB on the "
        "wire; idle round: %.0f request(s)\n",
        d.name, kPending, Median(s.converge_s), Median(s.converge_requests),
        Median(s.converge_bytes) / 1e6, Median(s.idle_requests));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  std::string remotes = "http";
  if (const char* e = std::getenv("CASK_TEST_REDIS_URL"); e && *e) {
    absl::StrAppend(&remotes, ",redis");
  }
  if (const char* e = std::getenv("CASK_TEST_ETCD_URL"); e && *e) {
    absl::StrAppend(&remotes, ",etcd");
  }
  if (const char* e = std::getenv("SYNC_BENCH_REMOTES"); e && *e) remotes = e;
  std::vector<std::string> kinds = absl::StrSplit(remotes, ',');
  for (const std::string& kind : kinds) Run(kind, n, runs);
  return 0;
}
