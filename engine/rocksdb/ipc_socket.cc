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

namespace {

// Waits until `fd` is readable or the deadline passes.
bool WaitReadable(int fd, absl::Time deadline) {
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{fd, POLLIN, 0};
    int ms = static_cast<int>(std::min<std::int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
        60'000));
    int n = poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

bool SendFrameWithFd(int fd, Type type, std::uint64_t call,
                     std::string_view payload, int pass_fd,
                     absl::Time deadline) {
  Header h;
  h.length = static_cast<std::uint32_t>(payload.size());
  h.type = static_cast<std::uint8_t>(type);
  h.call = call;
  std::string frame = EncodeHeader(h);
  frame.append(payload.data(), payload.size());
  // The descriptor travels with the first byte; the rest, if the socket
  // takes only part of the frame, follows as usual.
  iovec iov{frame.data(), frame.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  ssize_t r;
  do {
    r = sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return false;
  return WriteAll(fd, std::string_view(frame).substr(r), deadline);
}

bool ReceiveFrameWithFd(int fd, Header* header, std::string* payload,
                        int* got_fd, absl::Time deadline) {
  *got_fd = -1;
  char head[kHeaderBytes];
  std::size_t have = 0;
  while (have < kHeaderBytes) {
    if (!WaitReadable(fd, deadline)) return false;
    iovec iov{head + have, kHeaderBytes - have};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
          c->cmsg_len == CMSG_LEN(sizeof(int)) && *got_fd < 0) {
        std::memcpy(got_fd, CMSG_DATA(c), sizeof(int));
      }
    }
    have += static_cast<std::size_t>(r);
  }
  *header = DecodeHeader(head);
  // The answer to a setup request: small, so a bound far below kMaxPayload.
  if (!CheckHeader(*header, /*from_client=*/false).ok() ||
      header->length > 64 * 1024) {
    return false;
  }
  payload->assign(header->length, '\0');
  std::size_t got = 0;
  while (got < header->length) {
    if (!WaitReadable(fd, deadline)) return false;
    ssize_t r =
        recv(fd, payload->data() + got, header->length - got, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace cask::engine::ipc
