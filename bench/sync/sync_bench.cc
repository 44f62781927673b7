// Sync throughput against the remote adapter's own throughput, in one run
// (docs/benchmarks/sync.md). Remote: cask serve on an engine store, in this
// process, through the http adapter; and Redis when CASK_TEST_REDIS_URL is
// set. Each figure is the median of 3 runs.
//
//   sync_bench [N]   (N keys per run, default 2000; values 100 bytes)
//
// Prints: Set and Get rates of the adapter alone; push and pull rates of
// Sync::RunOnce and their ratios; time, requests and payload bytes to
// converge after reconnect with 10,000 pending local changes; requests of
// a round when nothing changed.
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "cask/open.h"
#include "cask/sync.h"
#include "server.h"

namespace {

using cask::Driver;

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

// A fresh empty remote of the kind under test; keeps its server alive.
struct Remote {
  std::unique_ptr<Dir> dir;
  std::unique_ptr<cask::server::Server> server;
  std::shared_ptr<Driver> client;
};

Remote FreshRemote(const std::string& kind, int run) {
  Remote r;
  if (kind == "http") {
    r.dir = std::make_unique<Dir>();
    cask::server::ServerOptions options;
    options.port = 0;
    auto server =
        cask::server::Server::Start(OpenEngine(r.dir->path + "/s"), options);
    Check(server.status(), "serve");
    r.server = *std::move(server);
    auto c = cask::OpenStore(r.server->url());
    Check(c.status(), "client");
    r.client = std::shared_ptr<Driver>(*std::move(c));
  } else {
    auto c = cask::OpenStore(absl::StrCat(std::getenv("CASK_TEST_REDIS_URL"),
                                          "?prefix=syncbench", getpid(), "-",
                                          run, ":"));
    Check(c.status(), "redis");
    r.client = std::shared_ptr<Driver>(*std::move(c));
  }
  return r;
}

std::string Key(int i) { return absl::StrCat("bench:", i); }
const std::string kValue(100, 'v');

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double PerSecond(int n, absl::Duration d) {
  return n / absl::ToDoubleSeconds(d);
}

void Run(const std::string& kind, int n) {
  std::vector<double> set_rate, get_rate, push_rate, pull_rate;
  std::vector<double> converge_s, converge_requests, idle_requests;
  for (int run = 0; run < 3; ++run) {
    // The adapter alone: n Sets, then n Gets.
    {
      Remote r = FreshRemote(kind, run * 10);
      absl::Time t0 = absl::Now();
      for (int i = 0; i < n; ++i) {
        Check(r.client->Set(Key(i), kValue).status(), "set");
      }
      set_rate.push_back(PerSecond(n, absl::Now() - t0));
      t0 = absl::Now();
      for (int i = 0; i < n; ++i) Check(r.client->Get(Key(i)).status(), "get");
      get_rate.push_back(PerSecond(n, absl::Now() - t0));
      Check(r.client->Clear(), "clear");
    }
    // Push n local changes, then pull them into a second device.
    {
      Remote r = FreshRemote(kind, run * 10 + 1);
      Dir a, b;
      auto la = OpenEngine(a.path + "/l"), lb = OpenEngine(b.path + "/l");
      for (int i = 0; i < n; ++i) {
        Check(la->Set(Key(i), kValue).status(), "local set");
      }
      auto sa = cask::Sync::Create(la, r.client);
      Check(sa.status(), "sync");
      absl::Time t0 = absl::Now();
      auto rep = (*sa)->RunOnce();
      Check(rep.status(), "push");
      push_rate.push_back(PerSecond(n, absl::Now() - t0));
      auto sb = cask::Sync::Create(lb, r.client);
      t0 = absl::Now();
      rep = (*sb)->RunOnce();
      Check(rep.status(), "pull");
      pull_rate.push_back(PerSecond(n, absl::Now() - t0));
      if (rep->counts.pulled != static_cast<std::uint64_t>(n)) {
        std::fprintf(stderr, "pulled %llu of %d\n",
                     static_cast<unsigned long long>(rep->counts.pulled), n);
        std::exit(1);
      }
      rep = (*sb)->RunOnce();
      Check(rep.status(), "idle");
      idle_requests.push_back(rep->counts.remote_requests);
      Check(r.client->Clear(), "clear");
    }
    // Reconnect with 10,000 pending local changes on a synced device.
    {
      Remote r = FreshRemote(kind, run * 10 + 2);
      Dir a;
      auto la = OpenEngine(a.path + "/l");
      auto sa = cask::Sync::Create(la, r.client);
      Check((*sa)->RunOnce().status(), "first");
      for (int i = 0; i < 10000; ++i) {
        Check(la->Set(Key(i), kValue).status(), "offline set");
      }
      absl::Time t0 = absl::Now();
      auto rep = (*sa)->RunOnce();
      Check(rep.status(), "converge");
      converge_s.push_back(absl::ToDoubleSeconds(absl::Now() - t0));
      converge_requests.push_back(rep->counts.remote_requests);
      Check(r.client->Clear(), "clear");
    }
  }
  double set = Median(set_rate), get = Median(get_rate);
  double push = Median(push_rate), pull = Median(pull_rate);
  std::printf("remote %s, %d keys x 100 B, medians of 3\n", kind.c_str(), n);
  std::printf("  adapter Set %.0f/s, Get %.0f/s\n", set, get);
  std::printf(
      "  push %.0f keys/s = %.2f x Set; pull %.0f keys/s = %.2f x Get\n", push,
      push / set, pull, pull / get);
  std::printf(
      "  converge after reconnect, 10000 pending: %.2f s, %.0f requests, "
      "%d payload bytes (keys + values)\n",
      Median(converge_s), Median(converge_requests),
      10000 * (static_cast<int>(Key(9999).size()) + 100));
  std::printf("  round with nothing changed: %.0f request(s)\n",
              Median(idle_requests));
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  Run("http", n);
  const char* redis = std::getenv("CASK_TEST_REDIS_URL");
  if (redis && *redis) Run("redis", n);
  return 0;
}
