// A git-like object store on any cask store, with a garbage collector that
// never deletes a live object. docs/examples/objstore.md explains it.
//
//   objstore URI [PUSHERS [PUSHES]]
//
// Runs PUSHERS threads (default 4) that each push PUSHES commits (default
// 25) to two shared branches while a collector runs beside them, then a
// last collection, and checks the result: every object reachable from a
// ref exists, and no unreachable object is left. Exit 0 when both hold, 1
// otherwise (or on an error). Built and run by ctest against an engine
// store (with snapshots) and the memory store (without).
//
// Keys:
//   objects:<hash>  write-once objects, named by a hash of their content
//                   (FNV-1a 64 here: an example, not a cryptographic hash)
//   refs:<branch>   the id of a commit object
//   meta:refs       changed by every ref move, in the same commit: whoever
//                   saw its etag knows whether any ref moved since
// A commit object is "commit\nparent <id|->\n<blob id>...\n".
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cask/open.h"
#include "cask/status.h"

namespace {

using cask::Batch;
using cask::Driver;
using cask::Precondition;

constexpr char kEpoch[] = "meta:refs";

std::string Hash(const std::string& content) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : content) h = (h ^ c) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string ObjectKey(const std::string& id) { return "objects:" + id; }

// Writes an object once; another writer of the same content is fine.
absl::Status PutObject(Driver& store, const std::string& content,
                       std::string* id) {
  *id = Hash(content);
  cask::WriteOptions once{Precondition::CreateOnly()};
  absl::StatusOr<std::string> r = store.Set(ObjectKey(*id), content, once);
  if (r.ok() || cask::IsCasMismatch(r.status())) return absl::OkStatus();
  return r.status();
}

// The ids a commit object names (its parent and blobs).
std::vector<std::string> Links(const std::string& commit) {
  std::vector<std::string> ids;
  std::size_t pos = commit.find('\n') + 1;  // past "commit"
  while (pos < commit.size()) {
    std::size_t end = commit.find('\n', pos);
    std::string line = commit.substr(pos, end - pos);
    if (line.rfind("parent ", 0) == 0) line = line.substr(7);
    if (line != "-") ids.push_back(line);
    pos = end + 1;
  }
  return ids;
}

// One push: upload blobs and a commit on top of the branch, then move the
// ref in one multi-key commit: only if the ref is still where we read it,
// and only if every object we name still exists (the collector may have
// deleted an upload it saw unreachable). On a conflict: retry on top of
// the new tip; the lost commit object is an orphan for the collector.
absl::Status Push(Driver& store, const std::string& branch,
                  const std::string& payload, std::atomic<int>& lost_races) {
  const std::string ref = "refs:" + branch;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    absl::StatusOr<cask::Item> tip = store.Get(ref);
    if (!tip.ok() && !absl::IsNotFound(tip.status())) return tip.status();
    std::string blob;
    if (absl::Status s = PutObject(store, payload, &blob); !s.ok()) return s;
    const std::string parent = tip.ok() ? tip->value : "-";
    std::string commit_id;
    const std::string commit = "commit\nparent " + parent + "\n" + blob + "\n";
    if (absl::Status s = PutObject(store, commit, &commit_id); !s.ok()) {
      return s;
    }
    Batch batch;
    batch.Put(ref, commit_id,
              {tip.ok() ? Precondition::IfMatch(tip->meta.etag)
                        : Precondition::CreateOnly()});
    batch.Put(kEpoch, commit_id);
    batch.Verify(ObjectKey(commit_id), Precondition::MustExist());
    batch.Verify(ObjectKey(blob), Precondition::MustExist());
    if (parent != "-") {
      batch.Verify(ObjectKey(parent), Precondition::MustExist());
    }
    absl::StatusOr<cask::CommitResult> moved = store.Commit(batch);
    if (moved.ok()) return absl::OkStatus();
    if (!cask::IsCasMismatch(moved.status())) return moved.status();
    lost_races.fetch_add(1);
  }
  return absl::AbortedError("push: too much contention");
}

// Every object reachable from `refs` (commit ids), read from `store`.
absl::StatusOr<std::set<std::string>> Reachable(
    Driver& store, const std::vector<std::string>& refs) {
  std::set<std::string> seen;
  std::vector<std::string> todo = refs;
  while (!todo.empty()) {
    std::string id = todo.back();
    todo.pop_back();
    if (!seen.insert(id).second) continue;
    absl::StatusOr<cask::Item> obj = store.Get(ObjectKey(id));
    if (!obj.ok()) return obj.status();  // a live object missing: a bug
    if (obj->value.rfind("commit\n", 0) == 0) {
      for (std::string& link : Links(obj->value)) todo.push_back(link);
    }
  }
  return seen;
}

// The refs and the epoch's etag, read consistently: through a snapshot
// where the store has them, else by reading the epoch before and after the
// refs and retrying until it did not move (every ref move changes it in
// the same commit, so an unchanged epoch means no ref moved meanwhile).
struct RefsView {
  std::vector<std::string> tips;
  std::string epoch_etag;  // empty: no ref exists yet
};

absl::StatusOr<std::vector<std::string>> ScanRefs(
    const std::function<
        absl::StatusOr<cask::ScanPage>(const cask::ScanOptions&)>& scan) {
  std::vector<std::string> tips;
  cask::ScanOptions page;
  page.with_values = true;
  page.limit = 100;
  for (;;) {
    absl::StatusOr<cask::ScanPage> p = scan(page);
    if (!p.ok()) return p.status();
    for (cask::ScanEntry& e : p->entries) tips.push_back(std::move(e.value));
    if (p->next_after.empty()) return tips;
    page.start_after = p->next_after;
  }
}

absl::StatusOr<RefsView> ReadRefs(Driver& store) {
  if (store.capabilities().snapshot) {
    absl::StatusOr<std::unique_ptr<cask::Snapshot>> snap = store.OpenSnapshot();
    if (!snap.ok()) return snap.status();
    RefsView view;
    absl::StatusOr<cask::Item> epoch = (*snap)->Get(kEpoch);
    if (epoch.ok()) view.epoch_etag = epoch->meta.etag;
    if (!epoch.ok() && !absl::IsNotFound(epoch.status())) {
      return epoch.status();
    }
    absl::StatusOr<std::vector<std::string>> tips = ScanRefs(
        [&](const cask::ScanOptions& o) { return (*snap)->Scan("refs", o); });
    if (!tips.ok()) return tips.status();
    view.tips = *std::move(tips);
    return view;
  }
  for (;;) {
    absl::StatusOr<cask::Meta> before = store.GetMeta(kEpoch);
    if (!before.ok() && !absl::IsNotFound(before.status())) {
      return before.status();
    }
    absl::StatusOr<std::vector<std::string>> tips = ScanRefs(
        [&](const cask::ScanOptions& o) { return store.Scan("refs", o); });
    if (!tips.ok()) return tips.status();
    absl::StatusOr<cask::Meta> after = store.GetMeta(kEpoch);
    if (!after.ok() && !absl::IsNotFound(after.status())) {
      return after.status();
    }
    const std::string b = before.ok() ? before->etag : "";
    if (b == (after.ok() ? after->etag : "")) {
      return RefsView{*std::move(tips), b};
    }
  }
}

// One collection: objects not reachable from the refs view are deleted,
// page by page, each batch only if no ref has moved since the view (the
// epoch) and each object only if it is the one seen (its etag). A push
// that named such an object fails its MustExist check and uploads it
// again; a collection racing a ref move deletes nothing. Objects written
// less than `grace` ago are spared, like git's prune expiry: a push uploads
// its objects before it moves its ref, and a collector that deleted every
// fresh upload could starve pushers forever. Returns how many objects it
// deleted.
absl::StatusOr<int> Collect(Driver& store, absl::Duration grace) {
  const absl::Time young = absl::Now() - grace;
  absl::StatusOr<RefsView> view = ReadRefs(store);
  if (!view.ok()) return view.status();
  absl::StatusOr<std::set<std::string>> live = Reachable(store, view->tips);
  if (!live.ok()) return live.status();
  int deleted = 0;
  cask::ScanOptions page;
  page.limit = 50;  // the batch stays under every store's txn limit
  for (;;) {
    absl::StatusOr<cask::ScanPage> p = store.Scan("objects", page);
    if (!p.ok()) return p.status();
    Batch batch;
    int doomed = 0;
    for (const cask::ScanEntry& e : p->entries) {
      std::string id = e.key.substr(std::string("objects:").size());
      if (live->contains(id) || e.meta.mtime > young) continue;
      batch.Delete(e.key, Precondition::IfMatch(e.meta.etag));
      ++doomed;
    }
    if (doomed > 0) {
      batch.Verify(kEpoch, view->epoch_etag.empty()
                               ? Precondition::CreateOnly()
                               : Precondition::IfMatch(view->epoch_etag));
      absl::StatusOr<cask::CommitResult> r = store.Commit(batch);
      if (r.ok()) {
        deleted += doomed;
      } else if (cask::IsCasMismatch(r.status())) {
        return deleted;  // a ref moved: this view is stale, stop here
      } else {
        return r.status();
      }
    }
    if (p->next_after.empty()) return deleted;
    page.start_after = p->next_after;
  }
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "objstore: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: objstore URI [PUSHERS [PUSHES]]\n");
    return 2;
  }
  const int pushers = argc > 2 ? std::atoi(argv[2]) : 4;
  const int pushes = argc > 3 ? std::atoi(argv[3]) : 25;
  absl::StatusOr<std::unique_ptr<Driver>> opened = cask::OpenStore(argv[1]);
  if (!opened.ok()) return Fail(opened.status());
  Driver& store = **opened;
  if (!store.capabilities().atomic_batch) {
    return Fail(absl::UnimplementedError(
        "the object store moves refs with multi-key commits"));
  }
  std::printf("store %s: %s\n", std::string(store.name()).c_str(),
              store.capabilities().snapshot
                  ? "collector reads refs through a snapshot"
                  : "no snapshots: collector validates refs by the epoch");

  // One orphan from the start, so every run has one to collect.
  std::string planted;
  if (absl::Status s = PutObject(store, "an object no ref names", &planted);
      !s.ok()) {
    return Fail(s);
  }
  std::atomic<int> orphans{0};
  std::atomic<int> collected{0};
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  std::thread collector([&] {
    while (!done.load() && !failed.load()) {
      absl::StatusOr<int> n = Collect(store, absl::Seconds(2));
      if (!n.ok()) {
        Fail(n.status());
        failed.store(true);
        return;
      }
      collected.fetch_add(*n);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < pushers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < pushes && !failed.load(); ++i) {
        std::string branch = (i + t) % 2 == 0 ? "main" : "dev";
        std::string payload =
            "file from pusher " + std::to_string(t) + " #" + std::to_string(i);
        if (absl::Status s = Push(store, branch, payload, orphans); !s.ok()) {
          Fail(s);
          failed.store(true);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  done.store(true);
  collector.join();
  if (failed.load()) return 1;

  // Nobody pushes now: no grace needed.
  absl::StatusOr<int> last = Collect(store, absl::ZeroDuration());
  if (!last.ok()) return Fail(last.status());
  collected.fetch_add(*last);

  // Every object reachable from a ref exists (Reachable fails otherwise),
  // and nothing else is left.
  absl::StatusOr<RefsView> view = ReadRefs(store);
  if (!view.ok()) return Fail(view.status());
  absl::StatusOr<std::set<std::string>> live = Reachable(store, view->tips);
  if (!live.ok()) return Fail(live.status());
  absl::StatusOr<std::vector<std::string>> objects = store.Keys("objects");
  if (!objects.ok()) return Fail(objects.status());
  std::printf(
      "%d pushes, %d ref moves retried, %d objects collected, %zu live, "
      "%zu stored\n",
      pushers * pushes, orphans.load(), collected.load(), live->size(),
      objects->size());
  if (live->contains(planted) || collected.load() < 1) {
    std::fprintf(stderr, "objstore: orphans were not all collected\n");
    return 1;
  }
  if (objects->size() != live->size()) {
    std::fprintf(stderr, "objstore: unreachable objects were left\n");
    return 1;
  }
  if (live->size() != static_cast<std::size_t>(2 * pushers * pushes)) {
    std::fprintf(stderr, "objstore: expected %d live objects\n",
                 2 * pushers * pushes);
    return 1;
  }
  return 0;
}
