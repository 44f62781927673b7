// Power-loss crash test: the machine crashes, not just the process. The
// engine runs on PowerLossFs (power_loss_fs.h); writer threads do CAS puts
// and two-key commits and record every acknowledgement; at a random moment
// the "power goes off" (nothing more reaches the disk), the engine is
// dropped, every byte that was not synced is thrown away, and the store is
// reopened and checked:
//   - durable: no acknowledged write is lost;
//   - buffered: acknowledged writes may be lost (the documented window),
//     but an etag seen before the crash never names another value after
//     it, and every etag issued after it is new;
//   - both: no torn commit (the two keys of a commit agree).
// The crashes alternate between the durabilities. CASK_POWERLOSS_CRASHES
// sets their number (default 200), CASK_POWERLOSS_SEED the seed (default:
// time). Exit 0 on success, 1 on a violation.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "crash_workload.h"
#include "power_loss_fs.h"
#include "test_util.h"
#include "testing.h"

namespace {

using cask::Durability;
using cask::Engine;
using cask::engine_test::CasKey;
using cask::engine_test::CasPut;
using cask::engine_test::CommitPair;
using cask::engine_test::kCasThreads;
using cask::engine_test::kPairKeys;
using cask::engine_test::RevisionOf;

[[noreturn]] void Fail(const std::string& what) {
  cask::engine_test::FailTest("power_loss_test", what);
}

struct Named {
  std::string key, value;
};

// Everything the test has seen acknowledged, across crashes.
class Oracle {
 public:
  // An acknowledged put. A reused etag is a violation at once.
  void Ack(const std::string& key, const std::string& etag,
           const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = seen_.try_emplace(etag, Named{key, value});
    if (!fresh) {
      Fail(absl::StrCat("etag ", etag, " issued again: it named ",
                        it->second.key, "=", it->second.value, ", now ", key,
                        "=", value));
    }
    std::uint64_t rev = RevisionOf(etag);
    if (rev >= latest_[key].first) latest_[key] = {rev, value};
    ++acks_;
  }
  // What the store holds for `key` after a crash: checks it against what
  // was acknowledged. Returns true when an acknowledged write was lost.
  bool Check(const std::string& key, const absl::StatusOr<cask::Item>& item,
             bool durable) {
    std::lock_guard<std::mutex> lock(mu_);
    auto acked = latest_.find(key);
    if (!item.ok()) {
      if (item.status().code() != absl::StatusCode::kNotFound) {
        Fail(absl::StrCat("read ", key, ": ", item.status().ToString()));
      }
      bool lost = acked != latest_.end() && acked->second.first > 0;
      if (lost && durable) Fail("acked " + key + " lost (durable)");
      if (lost) latest_.erase(acked);
      return lost;
    }
    if (auto it = seen_.find(item->meta.etag); it != seen_.end()) {
      if (it->second.key != key || it->second.value != item->value) {
        Fail(absl::StrCat("etag ", item->meta.etag, " named ", it->second.key,
                          "=", it->second.value, " before the crash, ", key,
                          "=", item->value, " after it"));
      }
    }
    bool lost =
        acked != latest_.end() && item->meta.revision < acked->second.first;
    if (lost && durable) {
      Fail(absl::StrCat("acked ", key, " at revision ", acked->second.first,
                        " lost (durable); store has ", item->meta.etag));
    }
    latest_[key] = {item->meta.revision, item->value};
    return lost;
  }
  std::uint64_t acks() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Named> seen_;
  std::map<std::string, std::pair<std::uint64_t, std::string>> latest_;
  std::uint64_t acks_ = 0;
};

// Writes until a write fails (the power went off).
void Writer(Engine* e, Oracle* oracle, int t, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::uint64_t n = 0;; ++n) {
    if (t == kCasThreads) {  // the commit writer
      std::string value = absl::StrCat("pair-", seed, "-", n);
      absl::StatusOr<cask::CommitResult> r = CommitPair(*e, value);
      if (!r.ok()) return;
      oracle->Ack(kPairKeys[0], r->etags[0], value);
      oracle->Ack(kPairKeys[1], r->etags[1], value);
      continue;
    }
    std::string key = CasKey(t, rng());
    std::string value = absl::StrCat("t", t, "-", seed, "-", n);
    absl::StatusOr<std::string> etag = CasPut(*e, key, value);
    if (!etag.ok()) return;
    oracle->Ack(key, *etag, value);
  }
}

cask::EngineOptions OptionsFor(Durability durability) {
  cask::EngineOptions o;
  o.durability = durability;
  // Long enough that buffered writes are often unsynced at the crash.
  o.buffered_sync_interval = absl::Milliseconds(50);
  return o;
}

}  // namespace

int main() {
  const char* crashes_env = std::getenv("CASK_POWERLOSS_CRASHES");
  const char* seed_env = std::getenv("CASK_POWERLOSS_SEED");
  const int crashes = crashes_env ? std::atoi(crashes_env) : 200;
  const std::uint64_t seed =
      seed_env ? std::strtoull(seed_env, nullptr, 10)
               : static_cast<std::uint64_t>(absl::ToUnixNanos(absl::Now()));
  std::printf("power_loss_test: %d crashes, CASK_POWERLOSS_SEED=%llu\n",
              crashes, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  cask::engine_test::TempDir dir;
  const std::string path = dir.Sub("store");
  std::mt19937_64 rng(seed);
  auto fs = std::make_shared<cask::engine_test::PowerLossFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  Oracle oracle;
  const std::vector<std::string> keys = cask::engine_test::WorkloadKeys();
  std::uint64_t lost[2] = {0, 0}, dropped_bytes[2] = {0, 0};
  int runs[2] = {0, 0};

  // Created with a clean close, so the crashes start from a durable store.
  {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
    if (!e.ok()) Fail("create: " + e.status().ToString());
  }
  for (int c = 0; c < crashes; ++c) {
    const int mode = c % 2;
    const Durability durability =
        mode == 0 ? Durability::kDurable : Durability::kBuffered;
    fs->Reset();
    absl::StatusOr<std::unique_ptr<Engine>> opened =
        cask::engine::TEST_OpenEngineWithEnv(path, OptionsFor(durability),
                                             env.get());

    if (!opened.ok()) {
      Fail(absl::StrCat("reopen after crash ", c, ": ",
                        opened.status().ToString()));
    }
    Engine* e = opened->get();
    // What survived the previous crash (checked with the rules of the
    // durability that wrote it).
    const bool previous_durable = c == 0 || (c - 1) % 2 == 0;
    for (const std::string& key : keys) {
      if (oracle.Check(key, e->Get(key), previous_durable)) {
        ++lost[previous_durable ? 0 : 1];
      }
    }
    if (std::string torn = cask::engine_test::TornCommit(*e); !torn.empty()) {
      Fail(torn);
    }

    std::vector<std::thread> threads;
    for (int t = 0; t <= kCasThreads; ++t) {
      threads.emplace_back(Writer, e, &oracle, t, seed * 131 + c * 7 + t);
    }
    absl::SleepFor(absl::Microseconds(rng() % 60000));
    fs->Crash();
    for (std::thread& t : threads) t.join();
    opened->reset();  // the engine's own close fails: the power is off

    dropped_bytes[mode] += fs->DropUnsyncedData();
    // The machine comes back up: a new boot.
    cask::engine::TEST_SetBootId(absl::StrCat("power-loss-boot-", c));
    ++runs[mode];
    if ((c + 1) % 50 == 0) {
      std::printf("power_loss_test: %d crashes, %llu acks\n", c + 1,
                  static_cast<unsigned long long>(oracle.acks()));
      std::fflush(stdout);
    }
  }
  // The last crash's survivors.
  {
    fs->Reset();
    absl::StatusOr<std::unique_ptr<Engine>> e =
        cask::engine::TEST_OpenEngineWithEnv(
            path, OptionsFor(Durability::kDurable), env.get());
    if (!e.ok()) Fail("final reopen: " + e.status().ToString());
    const bool durable = (crashes - 1) % 2 == 0;
    for (const std::string& key : keys) {
      if (oracle.Check(key, (*e)->Get(key), durable)) ++lost[durable ? 0 : 1];
    }
  }
  if (oracle.acks() == 0) Fail("no write was ever acknowledged");
  std::printf(
      "power_loss_test: PASSED: %d crashes (%d durable, %d buffered), %llu "
      "acknowledged writes; lost: durable %llu, buffered %llu; unsynced "
      "bytes dropped: durable %llu, buffered %llu; 0 torn commits, 0 etags "
      "reused\n",
      crashes, runs[0], runs[1], static_cast<unsigned long long>(oracle.acks()),
      static_cast<unsigned long long>(lost[0]),
      static_cast<unsigned long long>(lost[1]),
      static_cast<unsigned long long>(dropped_bytes[0]),
      static_cast<unsigned long long>(dropped_bytes[1]));
  return 0;
}
