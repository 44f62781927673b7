#include "ipc_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc.h"
#include "ipc_ring_server.h"
#include "ipc_socket.h"

namespace cask::engine::ipc {
namespace {

constexpr int kWorkers = 16;
// How long an answer may wait for a client to read it. A client that does
// not read (stopped, stuck) loses its connection instead of holding a
// worker, and with it every other client, forever.
constexpr absl::Duration kAnswerTimeout = absl::Seconds(10);

std::string Err(const absl::Status& s) {
  Writer w;
  w.StatusOf(s);
  return std::move(w.out());
}

bool IsWrite(Type t) {
  return t == Type::kSet || t == Type::kRemove || t == Type::kClear ||
         t == Type::kCommit || t == Type::kCompact || t == Type::kMaintenance ||
         t == Type::kGoodbye;
}

}  // namespace

struct Server::Conn {
  int fd = -1;
  std::mutex write_mu;
  std::thread reader;
  std::atomic<bool> finished{false};
  // The snapshots pinned for the client: released when the connection
  // ends, which is also how a client that died lets go of them.
  std::shared_ptr<PinnedSnapshots::Session> session;
  // The connection's ring, once the client asked for one (kAttachRing).
  std::unique_ptr<RingServer> ring;
  ~Conn() {
    if (fd >= 0) close(fd);
  }
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const std::string& dir,
                                                      Service* service) {
  std::unique_ptr<Server> s(new Server(dir, service));
  int dir_fd = -1;
  absl::StatusOr<std::string> path = SocketAddress(dir, &dir_fd);
  if (!path.ok()) return path.status();
  struct CloseDir {
    int fd;
    ~CloseDir() {
      if (fd >= 0) close(fd);
    }
  } close_dir{dir_fd};
  // This process holds RocksDB's lock, so a socket file left here is stale.
  unlink(path->c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("cask ipc: socket() failed");
  s->listen_fd_ = fd;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path->data(), path->size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      chmod(path->c_str(), 0600) != 0 || listen(fd, 128) != 0) {
    return absl::UnavailableError(absl::StrCat("cask ipc: cannot serve \"", dir,
                                               "\": ", std::strerror(errno)));
  }
  s->socket_path_ = dir + "/" + kSocketName;
  if (pipe2(s->wake_fd_, O_CLOEXEC) != 0) {
    return absl::UnavailableError("cask ipc: pipe() failed");
  }
  for (int i = 0; i < kWorkers; ++i) {
    s->workers_.emplace_back([p = s.get()] { p->WorkLoop(); });
  }
  s->accept_thread_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

Server::~Server() {
  if (accept_thread_.joinable()) {
    char c = 0;
    (void)!write(wake_fd_[1], &c, 1);
    accept_thread_.join();
  }
  // Remove the socket before the lock goes (the engine closes after us), so
  // clients that reconnect find nothing and take over.
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns = conns_;
  }
  for (auto& c : conns) shutdown(c->fd, SHUT_RDWR);
  for (auto& c : conns) {
    if (c->reader.joinable()) c->reader.join();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int fd : wake_fd_) {
    if (fd >= 0) close(fd);
  }
}

void Server::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        cred.uid != geteuid()) {
      SendFrame(fd, Type::kError, 0,
                Err(absl::PermissionDeniedError(
                    "cask ipc: refused: the peer runs as another user")));
      close(fd);
      continue;
    }
    auto conn = std::make_shared<Conn>();
    conn->fd = fd;
    conn->session = service_->snapshots().NewSession();
    std::lock_guard<std::mutex> lock(mu_);
    // Reap finished connections.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if ((*it)->finished.load()) {
        (*it)->reader.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    conns_.push_back(conn);
    conn->reader = std::thread([this, conn] { ReadLoop(conn); });
  }
}

void Server::ReadLoop(std::shared_ptr<Conn> conn) {
  char head[kHeaderBytes];
  for (;;) {
    if (!ReadFull(conn->fd, head, kHeaderBytes)) break;
    Header h = DecodeHeader(head);
    if (absl::Status s = CheckHeader(h, /*from_client=*/true); !s.ok()) {
      std::lock_guard<std::mutex> lock(conn->write_mu);
      SendFrame(conn->fd, Type::kError, h.call, Err(s),
                absl::Now() + kAnswerTimeout);
      break;
    }
    auto payload = std::make_shared<std::string>(h.length, '\0');
    if (!ReadFull(conn->fd, payload->data(), h.length)) break;
    if (static_cast<Type>(h.type) == Type::kAttachRing) {
      if (!AttachRing(*conn, h.call, *payload)) break;
      continue;
    }
    auto job = [this, conn, h, payload] {
      absl::StatusOr<std::string> out =
          service_->Handle(static_cast<Type>(h.type), *payload, *conn->session);
      if (out.ok() && out->size() > kMaxPayload) {
        // Too big for a frame (the client would refuse it): say so instead.
        out = Err(absl::ResourceExhaustedError(
            absl::StrCat("cask ipc: the answer is ", out->size(),
                         " bytes, over the limit of ", kMaxPayload,
                         " bytes between processes")));
      }
      std::lock_guard<std::mutex> wl(conn->write_mu);
      // A malformed request is refused alone (kError with its call id): the
      // framing is intact, so the connection, which all threads of the
      // client share, goes on.
      bool sent =
          out.ok() ? SendFrame(conn->fd, Type::kResponse, h.call, *out,
                               absl::Now() + kAnswerTimeout)
                   : SendFrame(conn->fd, Type::kError, h.call,
                               Err(out.status()), absl::Now() + kAnswerTimeout);
      if (!sent) shutdown(conn->fd, SHUT_RDWR);
    };
    // Reads are answered on this thread (one thread hand-off less); writes
    // go to the workers, so that a connection's pipelined writes reach the
    // engine's write queue together (group commit).
    if (!IsWrite(static_cast<Type>(h.type))) {
      job();
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
    cv_.notify_one();
  }
  shutdown(conn->fd, SHUT_RDWR);
  conn->ring.reset();
  // Requests of this connection still running on workers find the session
  // ended: nothing they pin outlives it.
  service_->snapshots().EndSession(*conn->session);
  // A client that went away leaves the lines on contended keys at once,
  // rather than holding up the others for a turn it will not use.
  if (std::uint64_t client = conn->session->client.load(); client != 0) {
    service_->turns().Forget(client);
  }
  conn->finished.store(true);
}

bool Server::AttachRing(Conn& conn, std::uint64_t call,
                        const std::string& payload) {
  auto refuse = [&](const absl::Status& s) {
    std::lock_guard<std::mutex> lock(conn.write_mu);
    return SendFrame(conn.fd, Type::kError, call, Err(s),
                     absl::Now() + kAnswerTimeout);
  };
  if (!payload.empty() || conn.ring != nullptr) {
    return refuse(absl::InvalidArgumentError(
        "cask ipc: a ring request has no payload and comes once"));
  }
  int ring_fd = -1;
  absl::StatusOr<std::unique_ptr<Ring>> ring = Ring::Create(&ring_fd);
  if (!ring.ok()) return refuse(ring.status());
  Writer w;
  w.StatusOf(absl::OkStatus());
  w.U32(kRingSlots);
  w.U32(kRingSlotBytes);
  bool sent;
  {
    std::lock_guard<std::mutex> lock(conn.write_mu);
    sent = SendFrameWithFd(conn.fd, Type::kResponse, call, w.out(), ring_fd,
                           absl::Now() + kAnswerTimeout);
  }
  close(ring_fd);
  if (!sent) return false;
  conn.ring = std::make_unique<RingServer>(
      std::shared_ptr<Ring>(*std::move(ring)), service_, conn.session,
      [this](std::function<void()> job) {
        std::lock_guard<std::mutex> lock(mu_);
        jobs_.push_back(std::move(job));
        cv_.notify_one();
      });
  return true;
}

void Server::WorkLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace cask::engine::ipc
