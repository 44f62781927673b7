#include "store_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cask::engine {
namespace {

constexpr char kCreatingLine[] = "creating";
constexpr char kClosedPrefix[] = "closed at revision ";
constexpr char kLockedPayloadUrl[] = "cask.engine/store-locked-elsewhere";

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string msg =
      absl::StrCat("cask engine: ", what, ": ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

bool WriteAllFd(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<Marker> ReadMarker(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kMarkerFile);
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return absl::NotFoundError(absl::StrCat(
          "cask engine: \"", dir, "\" has no ", kMarkerFile, " file"));
    }
    return ErrnoStatus(errno, absl::StrCat("read ", path));
  }
  std::string format, state;
  std::getline(in, format);
  std::getline(in, state);
  auto damaged = [&] {
    return absl::DataLossError(absl::StrCat(
        "cask engine: store \"", dir, "\" is damaged: its ", kMarkerFile,
        " file is unreadable (`cask repair` rewrites it)"));
  };
  if (format != kStoreFormat) {
    // Another version of the format names itself; anything else is a
    // marker that was damaged.
    if (absl::StartsWith(format, "cask-engine-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown format \"", format, "\" in ", kMarkerFile));
    }
    return damaged();
  }
  Marker marker;
  marker.state = MarkerState::kCreated;
  if (state == kCreatingLine) {
    marker.state = MarkerState::kCreating;
  } else if (absl::StartsWith(state, kClosedPrefix)) {
    if (!absl::SimpleAtoi(state.substr(sizeof(kClosedPrefix) - 1),
                          &marker.closed_revision)) {
      return damaged();
    }
  } else if (!state.empty()) {
    return damaged();
  }
  return marker;
}

absl::Status WriteMarker(const std::string& dir, const Marker& marker) {
  const std::string path = absl::StrCat(dir, "/", kMarkerFile);
  const std::string tmp = absl::StrCat(path, ".tmp");
  std::string text = absl::StrCat(kStoreFormat, "\n");
  if (marker.state == MarkerState::kCreating) {
    absl::StrAppend(&text, kCreatingLine, "\n");
  } else if (marker.closed_revision > 0) {
    absl::StrAppend(&text, kClosedPrefix, marker.closed_revision, "\n");
  }
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", tmp));
  bool ok = WriteAllFd(fd, text) && fsync(fd) == 0;
  int err = errno;
  close(fd);
  if (!ok) return ErrnoStatus(err, absl::StrCat("write ", tmp));
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("rename ", tmp));
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir));
  ok = fsync(dfd) == 0;
  err = errno;
  close(dfd);
  if (!ok) return ErrnoStatus(err, absl::StrCat("fsync ", dir));
  return absl::OkStatus();
}

bool IsEmptyStoreDir(const std::string& dir) {
  const std::string tmp = absl::StrCat(kMarkerFile, ".tmp");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename() != tmp) return false;
  }
  return true;
}

bool HasDatabaseFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") ||
        absl::EndsWith(name, ".blob") || absl::StartsWith(name, "MANIFEST-")) {
      return true;
    }
  }
  return false;
}

absl::Status CheckDirectoryWritable(const std::string& dir) {
  if (faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return ErrnoStatus(
        errno, absl::StrCat("cannot write the store directory \"", dir, "\""));
  }
  const std::string lock = absl::StrCat(dir, "/LOCK");
  if (faccessat(AT_FDCWD, lock.c_str(), F_OK, AT_EACCESS) == 0 &&
      faccessat(AT_FDCWD, lock.c_str(), R_OK | W_OK, AT_EACCESS) != 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot write \"", lock, "\""));
  }
  return absl::OkStatus();
}

std::optional<pid_t> LockHolder(const std::string& dir) {
  struct stat st {};
  if (stat(absl::StrCat(dir, "/LOCK").c_str(), &st) != 0) return std::nullopt;
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    std::istringstream fields(line);
    std::string id, kind, mode, access, pid, file;
    fields >> id >> kind >> mode >> access >> pid >> file;
    if (kind == "->") continue;  // a waiter, not a holder
    unsigned maj = 0, min = 0;
    unsigned long long ino = 0;
    if (std::sscanf(file.c_str(), "%x:%x:%llu", &maj, &min, &ino) != 3) {
      continue;
    }
    if (maj == major(st.st_dev) && min == minor(st.st_dev) &&
        ino == st.st_ino) {
      long holder = std::strtol(pid.c_str(), nullptr, 10);
      if (holder > 0) return static_cast<pid_t>(holder);
    }
  }
  return std::nullopt;
}

std::optional<absl::Status> ExplainOpenFailure(const std::string& dir) {
  if (absl::Status s = CheckDirectoryWritable(dir); !s.ok()) return s;
  std::optional<pid_t> holder = LockHolder(dir);
  if (!holder.has_value()) return std::nullopt;
  if (*holder == getpid()) {
    return absl::UnavailableError(absl::StrCat(
        "cask engine: store \"", dir, "\" is already open in this process"));
  }
  return StoreLockedError(dir, *holder);
}

namespace {
std::mutex g_boot_mu;
std::string* g_boot_override = nullptr;  // guarded by g_boot_mu
}  // namespace

std::string BootId() {
  {
    std::lock_guard<std::mutex> lock(g_boot_mu);
    if (g_boot_override != nullptr) return *g_boot_override;
  }
  static const std::string* boot = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return new std::string(id);
  }();
  return *boot;
}

void SetBootIdForTest(std::string boot_id) {
  std::lock_guard<std::mutex> lock(g_boot_mu);
  delete g_boot_override;
  g_boot_override = new std::string(std::move(boot_id));
}

absl::Status StoreLockedError(const std::string& dir, pid_t holder) {
  absl::Status s = absl::UnavailableError(absl::StrCat(
      "cask engine: store \"", dir, "\" is open in process ", holder));
  s.SetPayload(kLockedPayloadUrl, absl::Cord(absl::StrCat(holder)));
  return s;
}

bool IsStoreLockedElsewhere(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable &&
         status.GetPayload(kLockedPayloadUrl).has_value();
}

}  // namespace cask::engine
