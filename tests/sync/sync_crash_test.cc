// kill -9 of the syncing process at random moments: `cask sync --once`
// runs as a child process on the same local engine store as this test
// (which owns it and keeps writing), against a real cask serve (or the
// shared Redis or PostgreSQL of tests/servers), and is killed after a
// random delay. At quiescence nothing is lost, nothing was applied twice,
// and no conflict disappeared unresolved.
//
//   sync_crash_test CASK_CLI [--remote redis|postgres] [catch options]
//   (rounds: $CASK_SYNC_CRASH_ROUNDS, default 25; with --remote only the
//   kill -9 case runs, and exits 77 when that server's URL is unset)
#define CATCH_CONFIG_RUNNER
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "cask/open.h"
#include "cask/sync.h"
#include "catch2/catch.hpp"
#include "served_engine.h"
#include "sync_harness.h"

namespace {

std::string cask_cli;
std::string remote_kind;  // empty: a cask serve this test starts

// Runs `cask --store LOCAL sync REMOTE --once`; kills it with SIGKILL after
// `kill_after_ms` unless that is negative. Returns the exit code, or -9.
int RunSync(const std::string& local_uri, const std::string& remote,
            int kill_after_ms) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<std::string> args = {cask_cli, "--store", local_uri,
                                     "sync",   remote,    "--once"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (kill_after_ms >= 0) {
    usleep(kill_after_ms * 1000);
    kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::set<std::string> ConflictKeys(cask::Driver& local,
                                   const std::string& peer) {
  auto conflicts = cask::ListSyncConflicts(local, peer);
  REQUIRE(conflicts.ok());
  std::set<std::string> keys;
  for (const cask::SyncConflict& c : *conflicts) {
    // Never a conflict with our own value: that would be a push applied
    // twice.
    auto mine = local.Get(c.key);
    if (mine.ok() && c.remote_exists) CHECK(mine->value != c.remote_value);
    keys.insert(c.key);
  }
  return keys;
}

}  // namespace

namespace cask::synctest {
namespace {

TEST_CASE(
    "sync: kill -9 of the syncing process loses and duplicates "
    "nothing",
    "[sync][crash]") {
  int rounds = 25;
  if (const char* env = std::getenv("CASK_SYNC_CRASH_ROUNDS")) {
    rounds = atoi(env);
  }
  std::optional<ServedEngine> served;
  std::string remote_url;
  std::shared_ptr<Driver> remote_client;
  if (remote_kind.empty()) {
    served.emplace();
    remote_url = served->url();
    remote_client = served->client();
  } else {
    remote_url = FreshRemoteUri(RemoteServerUrl(remote_kind));
    auto opened = OpenStore(remote_url);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    remote_client = *std::move(opened);
  }
  TempDir dir;
  std::string local_uri = "cask://" + dir.path() + "/laptop";
  auto engine = OpenStore(local_uri);
  REQUIRE(engine.ok());
  std::shared_ptr<Driver> laptop(*std::move(engine));
  std::string peer = SyncPeerForUri(remote_url);
  Device phone = MakeDevice("phone", remote_client);

  std::mt19937_64 rng(2024);
  std::set<std::string> seen;
  int killed = 0, finished = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 20; ++i) {
      std::string key = absl::StrCat("k:", rng() % 30);
      if (rng() % 6 == 0) {
        REQUIRE(laptop->Remove(key).ok());
      } else {
        REQUIRE(laptop->Set(key, absl::StrCat("laptop-", round, "-", i)).ok());
      }
    }
    if (rng() % 3 == 0) {
      std::string key = absl::StrCat("k:", rng() % 30);
      REQUIRE(phone.local->Set(key, absl::StrCat("phone-", round)).ok());
      REQUIRE(phone.sync->RunOnce().ok());
    }
    int delay = rng() % 4 == 0 ? -1 : static_cast<int>(rng() % 60);
    int rc = RunSync(local_uri, remote_url, delay);
    INFO("round " << round << " exit " << rc);
    REQUIRE((rc == -9 || rc == 0 || rc == 3));
    (rc == -9 ? killed : finished)++;
    std::set<std::string> now = ConflictKeys(*laptop, peer);
    for (const std::string& k : seen) {
      INFO("conflict on " << k << " disappeared");
      REQUIRE(now.count(k) == 1);
    }
    seen = now;
  }
  int rc = RunSync(local_uri, remote_url, -1);
  REQUIRE((rc == 0 || rc == 3));
  INFO("killed " << killed << ", finished " << finished);
  CHECK(killed > 0);

  // Quiescence: the laptop (now synced in process, same peer) and the phone.
  Device laptop_dev;
  laptop_dev.name = "laptop";
  laptop_dev.local = laptop;
  laptop_dev.remote = std::make_shared<TEST_PartitionedDriver>(remote_client);
  SyncOptions options;
  options.peer = peer;
  auto sync = Sync::Create(laptop, laptop_dev.remote, options);
  REQUIRE(sync.ok());
  laptop_dev.sync = *std::move(sync);
  Quiesce({&laptop_dev, &phone});
  CheckConvergedExceptConflicts({&laptop_dev, &phone}, *remote_client);
  ConflictKeys(*laptop, peer);
  ResolveAllAndConverge({&laptop_dev, &phone}, *remote_client);
}

TEST_CASE(
    "cask sync --once: exit 0 caught up, 3 with unresolved conflicts, 5 "
    "when the remote is unreachable",
    "[sync][cli]") {
  ServedEngine remote;
  TempDir dir;
  std::string local_uri = "cask://" + dir.path() + "/laptop";
  std::string peer = SyncPeerForUri(remote.url());
  Device phone = MakeDevice("phone", remote.client());
  {
    auto laptop = OpenStore(local_uri);
    REQUIRE(laptop.ok());
    REQUIRE((*laptop)->Set("notes:1", "draft").ok());
  }
  CHECK(RunSync(local_uri, remote.url(), -1) == 0);
  CHECK(remote.client()->Get("notes:1")->value == "draft");

  // Both sides edit notes:1: the laptop's run leaves a conflict (3), and
  // so does every run until it is resolved.
  REQUIRE(phone.sync->RunOnce().ok());
  REQUIRE(phone.local->Set("notes:1", "phone").ok());
  REQUIRE(phone.sync->RunOnce().ok());
  {
    auto laptop = OpenStore(local_uri);
    REQUIRE(laptop.ok());
    REQUIRE((*laptop)->Set("notes:1", "laptop").ok());
  }
  CHECK(RunSync(local_uri, remote.url(), -1) == 3);
  CHECK(RunSync(local_uri, remote.url(), -1) == 3);
  {
    auto laptop = OpenStore(local_uri);
    REQUIRE(laptop.ok());
    REQUIRE(
        ResolveSyncConflict(**laptop, peer, "notes:1", Resolution::kKeepLocal)
            .ok());
  }
  CHECK(RunSync(local_uri, remote.url(), -1) == 0);
  CHECK(remote.client()->Get("notes:1")->value == "laptop");

  // The server is down: 5, and the write waits for the next run.
  remote.Stop();
  {
    auto laptop = OpenStore(local_uri);
    REQUIRE(laptop.ok());
    REQUIRE((*laptop)->Set("notes:2", "offline").ok());
  }
  CHECK(RunSync(local_uri, remote.url(), -1) == 5);
  remote.Start();
  CHECK(RunSync(local_uri, remote.url(), -1) == 0);
  CHECK(remote.client()->Get("notes:2")->value == "offline");
}

}  // namespace
}  // namespace cask::synctest

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CASK_CLI [catch options]\n", argv[0]);
    return 2;
  }
  cask_cli = argv[1];
  argv[1] = argv[0];
  std::vector<char*> args(argv + 1, argv + argc);
  if (args.size() >= 3 && std::string(args[1]) == "--remote") {
    remote_kind = args[2];
    if (cask::synctest::RemoteServerUrl(remote_kind).empty()) {
      std::fprintf(stderr,
                   "SKIPPED: the %s URL is not set (run under "
                   "tests/servers/with-servers.sh)\n",
                   remote_kind.c_str());
      return 77;
    }
    args.erase(args.begin() + 1, args.begin() + 3);
    static char crash_only[] = "[crash]";
    args.push_back(crash_only);
  }
  return Catch::Session().run(static_cast<int>(args.size()), args.data());
}
