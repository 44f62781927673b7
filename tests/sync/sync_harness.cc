#include "sync_harness.h"

#include <stdlib.h>

#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"

namespace cask::synctest {

TempDir::TempDir() {
  char tmpl[] = "/tmp/cask-sync-test.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::Status TEST_PartitionedDriver::Down() const {
  if (cut.load()) return absl::UnavailableError("test partition: remote cut");
  return absl::OkStatus();
}

absl::StatusOr<Item> TEST_PartitionedDriver::DoGet(const std::string& key) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->Get(key);
}
absl::StatusOr<Meta> TEST_PartitionedDriver::DoGetMeta(const std::string& key) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->GetMeta(key);
}
absl::StatusOr<std::string> TEST_PartitionedDriver::DoSet(
    const std::string& key, std::string_view value,
    const WriteOptions& options) {
  if (absl::Status s = Down(); !s.ok()) return s;
  absl::StatusOr<std::string> r = inner_->Set(key, value, options);
  if (lose_acks.load()) {
    return absl::UnknownError("test: answer lost, the outcome is unknown");
  }
  return r;
}
absl::Status TEST_PartitionedDriver::DoRemove(const std::string& key,
                                              const Precondition& p) {
  if (absl::Status s = Down(); !s.ok()) return s;
  absl::Status r = inner_->Remove(key, p);
  if (lose_acks.load()) {
    return absl::UnknownError("test: answer lost, the outcome is unknown");
  }
  return r;
}
absl::StatusOr<std::vector<std::string>> TEST_PartitionedDriver::DoKeys(
    const std::string& base) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->Keys(base);
}
absl::Status TEST_PartitionedDriver::DoClear(const std::string& base) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->Clear(base);
}
absl::StatusOr<CommitResult> TEST_PartitionedDriver::DoCommit(
    const Batch& batch) {
  if (absl::Status s = Down(); !s.ok()) return s;
  if (before_next_commit) {
    std::function<void()> hook = std::move(before_next_commit);
    before_next_commit = nullptr;
    hook();
  }
  absl::StatusOr<CommitResult> r = inner_->Commit(batch);
  if (lose_acks.load()) {
    return absl::UnknownError("test: answer lost, the outcome is unknown");
  }
  return r;
}
absl::StatusOr<std::vector<ChangeEvent>> TEST_PartitionedDriver::DoChanges(
    std::uint64_t after, std::size_t limit) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->Changes(after, limit);
}
absl::StatusOr<std::uint64_t> TEST_PartitionedDriver::DoCurrentRevision() {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->CurrentRevision();
}
absl::StatusOr<ScanPage> TEST_PartitionedDriver::DoScan(
    const std::string& base, const ScanOptions& options) {
  if (absl::Status s = Down(); !s.ok()) return s;
  return inner_->Scan(base, options);
}

Device MakeDevice(const std::string& name, std::shared_ptr<Driver> remote,
                  SyncOptions options) {
  Device d;
  d.name = name;
  d.dir = std::make_unique<TempDir>();
  auto engine = Engine::Open(d.dir->path() + "/store");
  REQUIRE(engine.ok());
  d.local = std::shared_ptr<Driver>(*std::move(engine));
  d.remote = std::make_shared<TEST_PartitionedDriver>(std::move(remote));
  auto sync = Sync::Create(d.local, d.remote, options);
  REQUIRE(sync.ok());
  d.sync = *std::move(sync);
  return d;
}

std::map<std::string, std::string> Contents(Driver& store) {
  std::map<std::string, std::string> out;
  auto keys = store.Keys("");
  REQUIRE(keys.ok());
  for (const std::string& k : *keys) {
    auto item = store.Get(k);
    if (item.ok()) out[k] = item->value;
  }
  return out;
}

void Quiesce(std::vector<Device*> devices) {
  for (int pass = 0; pass < 50; ++pass) {
    bool moved = false;
    for (Device* d : devices) {
      auto r = d->sync->RunOnce();
      INFO(d->name << ": " << r.status());
      REQUIRE(r.ok());
      moved = moved || r->counts.pushed || r->counts.pulled ||
              r->counts.conflicts || r->counts.converged;
    }
    if (!moved) return;
  }
  FAIL("sync did not settle in 50 passes");
}

std::size_t CheckConvergedExceptConflicts(std::vector<Device*> devices,
                                          Driver& remote) {
  std::map<std::string, std::string> theirs = Contents(remote);
  std::size_t total = 0;
  for (Device* d : devices) {
    auto conflicts = d->sync->Conflicts();
    REQUIRE(conflicts.ok());
    std::set<std::string> in_conflict;
    for (const SyncConflict& c : *conflicts) in_conflict.insert(c.key);
    total += in_conflict.size();
    std::map<std::string, std::string> mine = Contents(*d->local);
    std::set<std::string> all;
    for (const auto& [k, v] : mine) all.insert(k);
    for (const auto& [k, v] : theirs) all.insert(k);
    for (const std::string& k : all) {
      if (in_conflict.count(k)) continue;
      INFO(d->name << " key " << k);
      auto a = mine.find(k);
      auto b = theirs.find(k);
      REQUIRE((a == mine.end()) == (b == theirs.end()));
      if (a != mine.end()) REQUIRE(a->second == b->second);
    }
  }
  return total;
}

void ResolveAllAndConverge(std::vector<Device*> devices, Driver& remote) {
  for (int pass = 0; pass < 20; ++pass) {
    Quiesce(devices);
    std::size_t left = 0;
    for (Device* d : devices) {
      auto conflicts = d->sync->Conflicts();
      REQUIRE(conflicts.ok());
      left += conflicts->size();
      int i = 0;
      for (const SyncConflict& c : *conflicts) {
        // Later passes keep the remote, so resolution always terminates.
        Resolution how = pass > 2 ? Resolution::kKeepRemote
                                  : static_cast<Resolution>(i++ % 3);
        absl::Status s =
            how == Resolution::kMerged
                ? d->sync->Resolve(c.key, how,
                                   absl::StrCat("merged-", d->name, "-", c.key))
                : d->sync->Resolve(c.key, how);
        INFO(d->name << " resolve " << c.key << ": " << s);
        REQUIRE(s.ok());
      }
    }
    if (left == 0) {
      REQUIRE(CheckConvergedExceptConflicts(devices, remote) == 0);
      std::map<std::string, std::string> theirs = Contents(remote);
      for (Device* d : devices) REQUIRE(Contents(*d->local) == theirs);
      return;
    }
  }
  FAIL("conflicts kept coming back");
}

void RunPartitionWorkload(std::vector<Device*> devices, Driver& remote,
                          const std::function<void(bool)>& set_remote_up,
                          int default_ops, std::uint64_t seed) {
  int ops = default_ops;
  if (const char* env = std::getenv("CASK_SYNC_TEST_OPS")) ops = atoi(env);
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  bool up = true;
  std::map<Device*, std::set<std::string>> seen_conflicts;
  for (int step = 0; step < ops; ++step) {
    std::string key = absl::StrCat("notes:", pick(12));
    std::string value = absl::StrCat("v", step);
    int what = pick(100);
    Device* d = devices[pick(static_cast<int>(devices.size()))];
    if (what < 40) {
      REQUIRE(d->local->Set(key, absl::StrCat(d->name, "-", value)).ok());
    } else if (what < 50) {
      REQUIRE(d->local->Remove(key).ok());
    } else if (what < 58) {
      if (up) {
        absl::Status s =
            remote.Set(key, absl::StrCat("direct-", value)).status();
        REQUIRE(s.ok());
      }
    } else if (what < 62) {
      up = !up;
      set_remote_up(up);
    } else {
      auto r = d->sync->RunOnce();
      if (!up) {
        INFO(r.status());
        REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
      } else {
        INFO(d->name << ": " << r.status());
        REQUIRE(r.ok());
      }
      // A conflict never disappears unresolved.
      auto conflicts = d->sync->Conflicts();
      REQUIRE(conflicts.ok());
      std::set<std::string> now;
      for (const SyncConflict& c : *conflicts) now.insert(c.key);
      for (const std::string& k : seen_conflicts[d]) {
        INFO(d->name << " lost conflict on " << k);
        REQUIRE(now.count(k) == 1);
      }
      seen_conflicts[d] = now;
    }
  }
  if (!up) set_remote_up(true);
  Quiesce(devices);
  CheckConvergedExceptConflicts(devices, remote);
  ResolveAllAndConverge(devices, remote);
}

std::string RemoteServerUrl(const std::string& kind) {
  const char* env = std::getenv(kind == "redis"  ? "CASK_TEST_REDIS_URL"
                                : kind == "etcd" ? "CASK_TEST_ETCD_URL"
                                                 : "CASK_TEST_POSTGRES_URL");
  return env == nullptr ? "" : env;
}

std::string FreshRemoteUri(const std::string& server_url) {
  std::random_device rd;
  std::string tag = absl::StrCat(rd() % 1000000000);
  std::string uri = server_url;
  uri += uri.find('?') == std::string::npos ? "?" : "&";
  if (uri.rfind("redis", 0) == 0) {
    uri += absl::StrCat("prefix=synctest", tag, ":");
  } else if (uri.rfind("etcd", 0) == 0) {
    uri += absl::StrCat("prefix=synctest", tag, "/");
  } else {
    uri += absl::StrCat("table=synctest", tag);
  }
  return uri;
}

}  // namespace cask::synctest
