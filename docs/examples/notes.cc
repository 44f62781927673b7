// An offline-first notes program: notes live in a local engine store and
// are edited with or without the network; `sync` replicates them with a
// remote store (here any cask URI: http://, redis://, postgres://...).
//
//   notes DIR REMOTE_URI add|edit ID TEXT   write a note (never needs the
//   remote) notes DIR REMOTE_URI rm ID              delete a note notes DIR
//   REMOTE_URI list               print "ID: TEXT" lines notes DIR REMOTE_URI
//   sync               push and pull; exit 0 synced,
//                                           3 conflicts remain, 5 offline
//   notes DIR REMOTE_URI conflicts          print "ID: mine | theirs"
//   notes DIR REMOTE_URI keep ID mine|theirs|both   settle a conflict
//
// Built and run by ctest (tests/sync/notes_example_test.sh); docs/sync.md.
#include <cstdio>
#include <memory>
#include <string>

#include "cask/open.h"
#include "cask/sync.h"

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "notes: %s\n", s.ToString().c_str());
  return s.code() == absl::StatusCode::kUnavailable ? 5 : 1;
}

std::string NoteKey(const std::string& id) { return "notes:" + id; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: notes DIR REMOTE_URI COMMAND ...\n");
    return 2;
  }
  const std::string dir = argv[1], remote_uri = argv[2], cmd = argv[3];
  auto local = cask::OpenStore("cask://" + dir);
  if (!local.ok()) return Fail(local.status());
  std::shared_ptr<cask::Driver> store(*std::move(local));

  if ((cmd == "add" || cmd == "edit") && argc == 6) {
    auto etag = store->Set(NoteKey(argv[4]), argv[5]);
    return etag.ok() ? 0 : Fail(etag.status());
  }
  if (cmd == "rm" && argc == 5) {
    absl::Status s = store->Remove(NoteKey(argv[4]));
    return s.ok() ? 0 : Fail(s);
  }
  if (cmd == "list") {
    auto keys = store->Keys("notes");
    if (!keys.ok()) return Fail(keys.status());
    for (const std::string& k : *keys) {
      auto item = store->Get(k);
      if (item.ok()) {
        std::printf("%s: %s\n", k.substr(6).c_str(), item->value.c_str());
      }
    }
    return 0;
  }

  // Conflicts and their resolution touch only the local store; the remote
  // is opened lazily by the adapter, so this works offline too.
  auto remote = cask::OpenStore(remote_uri);
  if (!remote.ok()) return Fail(remote.status());
  cask::SyncOptions options;
  options.peer = cask::SyncPeerForUri(remote_uri);
  auto sync = cask::Sync::Create(
      store, std::shared_ptr<cask::Driver>(*std::move(remote)), options);
  if (!sync.ok()) return Fail(sync.status());

  if (cmd == "sync") {
    auto report = (*sync)->RunOnce();
    if (!report.ok()) return Fail(report.status());
    std::printf("sent %llu, received %llu, conflicts %zu\n",
                static_cast<unsigned long long>(report->counts.pushed),
                static_cast<unsigned long long>(report->counts.pulled),
                report->unresolved_conflicts);
    return report->unresolved_conflicts == 0 ? 0 : 3;
  }
  if (cmd == "conflicts") {
    auto conflicts = (*sync)->Conflicts();
    if (!conflicts.ok()) return Fail(conflicts.status());
    for (const cask::SyncConflict& c : *conflicts) {
      auto mine = store->Get(c.key);
      std::printf("%s: %s | %s\n", c.key.substr(6).c_str(),
                  mine.ok() ? mine->value.c_str() : "(deleted)",
                  c.remote_exists ? c.remote_value.c_str() : "(deleted)");
    }
    return 0;
  }
  if (cmd == "keep" && argc == 6) {
    const std::string key = NoteKey(argv[4]), which = argv[5];
    absl::Status s;
    if (which == "mine") {
      s = (*sync)->Resolve(key, cask::Resolution::kKeepLocal);
    } else if (which == "theirs") {
      s = (*sync)->Resolve(key, cask::Resolution::kKeepRemote);
    } else {
      // Keep both texts: an application-level merge.
      auto conflicts = (*sync)->Conflicts();
      if (!conflicts.ok()) return Fail(conflicts.status());
      auto mine = store->Get(key);
      for (const cask::SyncConflict& c : *conflicts) {
        if (c.key != key) continue;
        std::string merged = (mine.ok() ? mine->value : "") + " / " +
                             (c.remote_exists ? c.remote_value : "");
        s = (*sync)->Resolve(key, cask::Resolution::kMerged, merged);
      }
    }
    return s.ok() ? 0 : Fail(s);
  }
  std::fprintf(stderr, "notes: unknown command or wrong arguments\n");
  return 2;
}
