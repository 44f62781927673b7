// Helpers of the integrity and corruption tests: stores with known
// contents, file listings, byte-level damage, unprivileged children.
#ifndef CASK_TESTS_ENGINE_INTEGRITY_UTIL_H_
#define CASK_TESTS_ENGINE_INTEGRITY_UTIL_H_

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/engine.h"

namespace cask::engine_test {

// Creates the store at `path` with k1=v1 .. kn=vn (durable) and closes it;
// returns the etags by key. The writes stay in the WAL (no flush).
inline std::map<std::string, std::string> MakeStore(const std::string& path,
                                                    int n) {
  std::map<std::string, std::string> etags;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
  if (!e.ok()) return etags;
  for (int i = 1; i <= n; ++i) {
    std::string key = absl::StrCat("k", i);
    absl::StatusOr<std::string> etag = (*e)->Set(key, absl::StrCat("v", i));
    if (etag.ok()) etags[key] = *etag;
  }
  return etags;
}

// Names and sizes of every file in `dir` (RocksDB's LOG files excluded:
// they record each attempt to open).
inline std::set<std::string> AllFiles(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = f.path().filename().string();
    if (absl::StartsWith(name, "LOG")) continue;
    std::uintmax_t size = f.is_regular_file() ? f.file_size(ec) : 0;
    out.insert(absl::StrCat(name, " ", size));
  }
  return out;
}

// The database's data files with their sizes.
inline std::set<std::string> DataFiles(const std::string& dir) {
  std::set<std::string> out;
  for (const std::string& f : AllFiles(dir)) {
    std::string name = f.substr(0, f.find(' '));
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") ||
        absl::EndsWith(name, ".blob") || absl::StartsWith(name, "MANIFEST-")) {
      out.insert(f);
    }
  }
  return out;
}

// The largest file in `dir` whose name ends with `suffix` ("" if none).
inline std::string LargestFile(const std::string& dir,
                               const std::string& suffix) {
  std::string best;
  std::uintmax_t best_size = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = f.path().filename().string();
    if (!absl::EndsWith(name, suffix) || !f.is_regular_file()) continue;
    if (best.empty() || f.file_size(ec) > best_size) {
      best = f.path().string();
      best_size = f.file_size(ec);
    }
  }
  return best;
}

// Copies the regular files of store `from` into a new directory `to`.
inline void CopyStore(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  fs::create_directories(to);
  for (const auto& f : fs::directory_iterator(from)) {
    if (f.is_regular_file()) fs::copy_file(f.path(), to / f.path().filename());
  }
}

// Overwrites bytes of `file` at `offset`, as a failing disk would.
inline void Overwrite(const std::string& file, std::uintmax_t offset,
                      const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The unprivileged user RunUnprivileged switches to when run as root.
inline constexpr uid_t kNobody = 65534;

// Makes `path` (a file or a directory) readable but not writable for the
// process RunUnprivileged starts: as root, owned by root and not writable
// by others; otherwise, not writable by anyone.
inline void MakeReadOnlyForOthers(const std::string& path) {
  namespace fs = std::filesystem;
  const bool dir = fs::is_directory(path);
  fs::perms p = geteuid() == 0 ? (dir ? fs::perms(0755) : fs::perms(0644))
                               : (dir ? fs::perms(0555) : fs::perms(0444));
  fs::permissions(path, p);
}

// Runs `fn` in a child process without root's privileges (as nobody when
// the test runs as root) and returns its result (the exit status).
inline int RunUnprivileged(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 ||
                           setuid(kNobody) != 0)) {
      _exit(100);
    }
    _exit(fn());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

}  // namespace cask::engine_test

#endif  // CASK_TESTS_ENGINE_INTEGRITY_UTIL_H_
