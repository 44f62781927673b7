// kill -9 crash test. A child process does durable CAS writes and commits
// from several threads and reports each acknowledgement to the parent over
// a pipe; the parent kills it with SIGKILL at a random moment (also while
// it opens the store), reopens the store and checks:
//   - every acknowledged write is present with its acknowledged etag and
//     value (or was overwritten or deleted by a later revision), and every
//     acknowledged delete is in the log;
//   - no half commit: the two keys of a commit always agree;
//   - revisions strictly increase across crashes; the log has one record
//     per revision, no gaps, checksums intact, and it agrees with the data.
// CASK_CRASH_KILLS sets the number of kills (default 200); CASK_CRASH_SEED
// the random seed (default: time). Exit 0 on success, 1 on a violation.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "cask/status.h"
#include "crash_workload.h"
#include "test_util.h"

namespace {

using cask::ChangeEvent;
using cask::Engine;
using cask::engine_test::CasKey;
using cask::engine_test::CasPut;
using cask::engine_test::CommitPair;
using cask::engine_test::kCasThreads;
using cask::engine_test::kPairKeys;
using cask::engine_test::RevisionOf;

[[noreturn]] void Fail(const std::string& what) {
  cask::engine_test::FailTest("crash_test", what);
}

void WriteAll(int fd, const std::string& text) {
  // One write() of less than PIPE_BUF bytes: atomic, never interleaved.
  if (write(fd, text.data(), text.size()) !=
      static_cast<ssize_t>(text.size())) {
    _exit(3);
  }
}

// The child: writes until killed.
[[noreturn]] void RunChild(const std::string& path, int fd,
                           std::uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(path);
  if (!engine.ok()) {
    std::fprintf(stderr, "child: open: %s\n",
                 engine.status().ToString().c_str());
    _exit(2);
  }
  Engine* e = engine->get();
  std::vector<std::thread> threads;
  for (int t = 0; t < kCasThreads; ++t) {
    threads.emplace_back([e, fd, t, seed] {
      std::mt19937_64 rng(seed * 31 + t);
      for (std::uint64_t n = 0;; ++n) {
        std::string key = CasKey(t, rng());
        if (n % 7 == 6) {
          absl::StatusOr<cask::Meta> meta = e->GetMeta(key);
          if (meta.ok()) {
            if (!e->Remove(key, cask::Precondition::IfMatch(meta->etag)).ok()) {
              _exit(6);
            }
            WriteAll(fd, absl::StrCat("D ", key, " ", meta->etag, " -\n"));
            continue;
          }
        }
        std::string value = absl::StrCat("t", t, "-", seed, "-", n);
        absl::StatusOr<std::string> etag = CasPut(*e, key, value);
        if (!etag.ok()) _exit(4);  // one writer per key: never a mismatch
        WriteAll(fd, absl::StrCat("P ", key, " ", *etag, " ", value, "\n"));
      }
    });
  }
  threads.emplace_back([e, fd, seed] {
    for (std::uint64_t n = 0;; ++n) {
      std::string value = absl::StrCat("pair-", seed, "-", n);
      absl::StatusOr<cask::CommitResult> r = CommitPair(*e, value);
      if (!r.ok()) _exit(5);
      WriteAll(fd, absl::StrCat("P ", kPairKeys[0], " ", r->etags[0], " ",
                                value, "\nP ", kPairKeys[1], " ", r->etags[1],
                                " ", value, "\n"));
    }
  });
  for (auto& t : threads) t.join();
  _exit(0);
}

// An acknowledged write. For a delete ("D"), etag is the etag it removed
// and revision that etag's revision.
struct Ack {
  std::string key, etag, value;
  std::uint64_t revision = 0;
  bool deleted = false;
};

std::vector<Ack> ReadAcks(int fd) {
  std::string all;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  std::vector<Ack> acks;
  std::istringstream in(all);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string tag;
    Ack a;
    fields >> tag >> a.key >> a.etag >> a.value;
    if ((tag != "P" && tag != "D") || a.value.empty()) {
      Fail("malformed ack line: " + line);
    }
    a.deleted = tag == "D";
    a.revision = RevisionOf(a.etag);
    acks.push_back(a);
  }
  return acks;
}

}  // namespace

int main() {
  const char* kills_env = std::getenv("CASK_CRASH_KILLS");
  const char* seed_env = std::getenv("CASK_CRASH_SEED");
  const int kills = kills_env ? std::atoi(kills_env) : 200;
  const std::uint64_t seed =
      seed_env ? std::strtoull(seed_env, nullptr, 10)
               : static_cast<std::uint64_t>(absl::ToUnixNanos(absl::Now()));
  std::printf("crash_test: %d kills, CASK_CRASH_SEED=%llu\n", kills,
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  cask::engine_test::TempDir dir;
  const std::string path = dir.Sub("store");
  std::mt19937_64 rng(seed);

  std::map<std::string, Ack> last_ack;
  std::map<std::string, ChangeEvent> last_record;
  std::uint64_t cursor = 0;  // log read through here
  std::uint64_t total_acks = 0;

  for (int k = 0; k < kills; ++k) {
    int fds[2];
    if (pipe(fds) != 0) Fail("pipe");
    pid_t pid = fork();
    if (pid < 0) Fail("fork");
    if (pid == 0) {
      close(fds[0]);
      RunChild(path, fds[1], seed + static_cast<std::uint64_t>(k) + 1);
    }
    close(fds[1]);
    // Random moment: sometimes during open, mostly while writing.
    absl::SleepFor(absl::Microseconds(rng() % 150000));
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (!WIFSIGNALED(wstatus)) {
      Fail(absl::StrCat("child exited by itself with status ",
                        WEXITSTATUS(wstatus)));
    }
    std::vector<Ack> acks = ReadAcks(fds[0]);
    close(fds[0]);
    total_acks += acks.size();

    absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(path);
    if (!opened.ok()) {
      Fail("reopen after kill " + std::to_string(k) + ": " +
           opened.status().ToString());
    }
    Engine& e = **opened;
    const std::uint64_t revision = e.revision();

    // The log since the last check: consecutive, intact, one per revision.
    std::map<std::uint64_t, ChangeEvent> round;
    for (;;) {
      absl::StatusOr<std::vector<ChangeEvent>> page = e.Changes(cursor, 4096);
      if (!page.ok()) Fail("changes: " + page.status().ToString());
      if (page->empty()) break;
      for (ChangeEvent& ev : *page) {
        if (ev.revision != cursor + 1) {
          Fail(absl::StrCat("log gap: after ", cursor, " comes ", ev.revision));
        }
        if (ev.kind != cask::ChangeKind::kPut &&
            ev.kind != cask::ChangeKind::kDelete) {
          Fail("unexpected log kind");
        }
        cursor = ev.revision;
        last_record[ev.key] = ev;
        round[ev.revision] = ev;
      }
    }
    if (cursor != revision) {
      Fail(absl::StrCat("log ends at ", cursor, ", store revision ", revision));
    }

    // Every acknowledged write is in the log and, unless overwritten
    // later, in the data with its etag and value.
    for (const Ack& a : acks) {
      if (a.deleted) {
        // A delete of revision R is logged after R, in this round.
        bool found = false;
        for (auto it = round.upper_bound(a.revision); it != round.end(); ++it) {
          if (it->second.key == a.key &&
              it->second.kind == cask::ChangeKind::kDelete) {
            found = true;
            break;
          }
        }
        if (!found) Fail("acked delete of " + a.key + " missing from log");
        continue;
      }
      auto it = round.find(a.revision);
      if (it == round.end() || it->second.key != a.key ||
          it->second.etag != a.etag) {
        Fail(absl::StrCat("acked ", a.key, " ", a.etag, " missing from log"));
      }
      Ack& prev = last_ack[a.key];
      if (a.revision > prev.revision) prev = a;
    }
    for (const auto& [key, a] : last_ack) {
      absl::StatusOr<cask::Item> item = e.Get(key);
      if (item.status().code() == absl::StatusCode::kNotFound) {
        // Only a later delete may remove an acknowledged write.
        const ChangeEvent& last = last_record[key];
        if (last.kind != cask::ChangeKind::kDelete ||
            last.revision <= a.revision) {
          Fail(absl::StrCat("acked ", key, " ", a.etag, " lost"));
        }
        continue;
      }
      if (!item.ok())
        Fail("acked key " + key + ": " + item.status().ToString());
      if (item->meta.revision < a.revision) {
        Fail(absl::StrCat("acked ", key, " ", a.etag, " lost; store has ",
                          item->meta.etag));
      }
      if (item->meta.revision == a.revision &&
          (item->meta.etag != a.etag || item->value != a.value)) {
        Fail("acked " + key + " has the wrong etag or value");
      }
    }
    // The log and the data agree on every key.
    absl::StatusOr<std::vector<std::string>> keys = e.Keys();
    std::size_t live = 0;
    for (const auto& [key, ev] : last_record) {
      if (ev.kind == cask::ChangeKind::kPut) ++live;
    }
    if (!keys.ok() || keys->size() != live) Fail("keys and log disagree");
    for (const auto& [key, ev] : last_record) {
      absl::StatusOr<cask::Meta> meta = e.GetMeta(key);
      if (ev.kind == cask::ChangeKind::kDelete) {
        if (meta.status().code() != absl::StatusCode::kNotFound) {
          Fail("deleted in the log but present: " + key);
        }
        continue;
      }
      if (!meta.ok() || meta->etag != ev.etag || meta->size != ev.size) {
        Fail("data and log disagree on " + key);
      }
    }
    // No half commit.
    if (std::string torn = cask::engine_test::TornCommit(e); !torn.empty()) {
      Fail(torn);
    }
    if ((k + 1) % 50 == 0) {
      std::printf("crash_test: %d kills, %llu acks, revision %llu\n", k + 1,
                  static_cast<unsigned long long>(total_acks),
                  static_cast<unsigned long long>(revision));
      std::fflush(stdout);
    }
  }
  if (total_acks == 0) Fail("no write was ever acknowledged");
  std::printf("crash_test: PASSED: %d kills, %llu acknowledged writes\n", kills,
              static_cast<unsigned long long>(total_acks));
  return 0;
}
