#include "ipc_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc.h"

namespace cask::engine::ipc {

absl::StatusOr<std::string> SocketAddress(const std::string& dir, int* dir_fd) {
  std::string path = dir + "/" + kSocketName;
  *dir_fd = -1;
  if (path.size() < sizeof(sockaddr_un{}.sun_path)) return path;
  int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cask ipc: cannot open \"", dir,
                                               "\": ", std::strerror(errno)));
  }
  *dir_fd = fd;
  return absl::StrCat("/proc/self/fd/", fd, "/", kSocketName);
}

absl::StatusOr<int> ConnectSocket(const std::string& dir) {
  int dir_fd = -1;
  absl::StatusOr<std::string> path = SocketAddress(dir, &dir_fd);
  if (!path.ok()) return path.status();
  // Non-blocking while connecting: a blocking connect to an owner that has
  // stopped accepting (its backlog full) would wait forever.
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    if (dir_fd >= 0) close(dir_fd);
    return absl::UnavailableError("cask ipc: socket() failed");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path->data(), path->size());
  int r;
  do {
    r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  int err = errno;
  if (dir_fd >= 0) close(dir_fd);
  if (r < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cask ipc: cannot connect to the owner of \"", dir,
                     "\": ", std::strerror(err)));
  }
  return fd;
}

bool ReadFull(int fd, char* buf, std::size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, buf, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, std::string_view data, absl::Time deadline) {
  const bool bounded = deadline != absl::InfiniteFuture();
  while (!data.empty()) {
    ssize_t r = send(fd, data.data(), data.size(),
                     MSG_NOSIGNAL | (bounded ? MSG_DONTWAIT : 0));
    if (r > 0) {
      data.remove_prefix(static_cast<std::size_t>(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && bounded && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The peer is not reading (stopped or busy): wait for room, but not
      // past the deadline.
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd, POLLOUT, 0};
      int ms = static_cast<int>(std::min<std::int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
          60'000));
      (void)poll(&p, 1, ms);
      continue;
    }
    return false;
  }
  return true;
}

bool SendFrame(int fd, Type type, std::uint64_t call, std::string_view payload,
               absl::Time deadline) {
  Header h;
  h.length = static_cast<std::uint32_t>(payload.size());
  h.type = static_cast<std::uint8_t>(type);
  h.call = call;
  std::string frame = EncodeHeader(h);
  if (payload.size() < 64 * 1024) {
    frame.append(payload.data(), payload.size());
    return WriteAll(fd, frame, deadline);
  }
  return WriteAll(fd, frame, deadline) && WriteAll(fd, payload, deadline);
}

}  // namespace cask::engine::ipc
