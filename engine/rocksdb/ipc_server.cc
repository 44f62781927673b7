// The owner's side: the socket server, and Service, which executes
// forwarded requests with exactly-once writes.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/string_view_compat.h"
#include "encoding.h"
#include "ipc_internal.h"
#include "rocksdb_status.h"

namespace cask::engine {

// Reads the outcome records of the sys column family (friend of EngineImpl).
struct IpcAccess {
  static absl::StatusOr<std::optional<std::string>> ReadSys(
      EngineImpl* e, const std::string& key) {
    std::string value;
    rocksdb::Status s =
        e->db_->Get(rocksdb::ReadOptions(), e->sys_cf_, key, &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) return FromRocks(s, "read an outcome record");
    return value;
  }
  static void DropOutcomes(EngineImpl* e, const std::string& begin,
                           const std::string& end) {
    // Best effort: a failure only leaves records behind.
    (void)e->db_->DeleteRange(rocksdb::WriteOptions(), e->sys_cf_, begin, end);
  }
};

namespace ipc {
namespace {

constexpr int kWorkers = 16;
constexpr std::uint64_t kPruneEvery = 256;

thread_local std::string tl_outcome_key;

class ScopedOutcomeKey {
 public:
  explicit ScopedOutcomeKey(const std::string& key) { tl_outcome_key = key; }
  ~ScopedOutcomeKey() { tl_outcome_key.clear(); }
};

std::string OutcomeKey(std::uint64_t client, std::uint64_t seq) {
  std::string key = kOutcomePrefix;
  PutFixed64(&key, client);
  PutFixed64(&key, seq);
  return key;
}

std::string OkWith(const std::function<void(Writer&)>& body) {
  Writer w;
  w.StatusOf(absl::OkStatus());
  body(w);
  return std::move(w.out());
}

std::string Err(const absl::Status& s) {
  Writer w;
  w.StatusOf(s);
  return std::move(w.out());
}

absl::Status Malformed(Type type) {
  return absl::InvalidArgumentError(absl::StrCat(
      "cask ipc: malformed payload for request type ", static_cast<int>(type)));
}

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

sockaddr_un MakeAddr(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

const std::string& ThreadOutcomeKey() { return tl_outcome_key; }

std::string EncodeOutcome(const CommitResult& result) {
  Writer w;
  w.U8(1);
  w.I64(absl::ToUnixMicros(absl::Now()));
  w.Result(result);
  return std::move(w.out());
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

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t r = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(r));
  }
  return true;
}

bool SendFrame(int fd, Type type, std::uint64_t call,
               std::string_view payload) {
  Header h;
  h.length = static_cast<std::uint32_t>(payload.size());
  h.type = static_cast<std::uint8_t>(type);
  h.call = call;
  std::string frame = EncodeHeader(h);
  if (payload.size() < 64 * 1024) {
    frame.append(payload.data(), payload.size());
    return WriteAll(fd, frame);
  }
  return WriteAll(fd, frame) && WriteAll(fd, payload);
}

absl::StatusOr<int> ConnectSocket(const std::string& dir) {
  int dir_fd = -1;
  absl::StatusOr<std::string> path = SocketAddress(dir, &dir_fd);
  if (!path.ok()) return path.status();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (dir_fd >= 0) close(dir_fd);
    return absl::UnavailableError("cask ipc: socket() failed");
  }
  sockaddr_un addr = MakeAddr(*path);
  int r;
  do {
    r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  int err = errno;
  if (dir_fd >= 0) close(dir_fd);
  if (r < 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cask ipc: cannot connect to the owner of \"", dir,
                     "\": ", std::strerror(err)));
  }
  return fd;
}

// --- Service

void Service::Enter(const std::string& key) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !in_flight_.contains(key); });
  in_flight_.insert(key);
}

void Service::Leave(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(key);
  }
  cv_.notify_all();
}

absl::StatusOr<std::optional<CommitResult>> Service::RecordedOutcome(
    const std::string& key) {
  absl::StatusOr<std::optional<std::string>> raw =
      IpcAccess::ReadSys(static_cast<EngineImpl*>(engine_), key);
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::nullopt;
  Reader r(**raw);
  std::uint8_t version = r.U8();
  r.I64();
  CommitResult result = r.Result();
  if (!r.done() || version != 1) {
    return absl::DataLossError("cask ipc: malformed outcome record");
  }
  return result;
}

absl::StatusOr<std::string> Service::Handle(Type type,
                                            std::string_view payload) {
  Reader r(payload);
  Engine& e = *engine_;
  switch (type) {
    case Type::kHello: {
      if (!r.done()) return Malformed(type);
      Capabilities caps = e.capabilities();
      return OkWith([&](Writer& w) {
        w.Str(e.store_id());
        w.U8(static_cast<std::uint8_t>(caps.cas | caps.atomic_batch << 1 |
                                       caps.ttl << 2 | caps.watch << 3));
        w.U64(caps.max_value_bytes);
      });
    }
    case Type::kGet: {
      std::string key = r.Str();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<Item> item = e.Get(key);
      if (!item.ok()) return Err(item.status());
      return OkWith([&](Writer& w) {
        w.Str(item->value);
        w.MetaOf(item->meta);
      });
    }
    case Type::kGetMeta: {
      std::string key = r.Str();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<Meta> meta = e.GetMeta(key);
      if (!meta.ok()) return Err(meta.status());
      return OkWith([&](Writer& w) { w.MetaOf(*meta); });
    }
    case Type::kHas: {
      std::string key = r.Str();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<bool> has = e.Has(key);
      if (!has.ok()) return Err(has.status());
      return OkWith([&](Writer& w) { w.U8(*has ? 1 : 0); });
    }
    case Type::kKeys: {
      std::string base = r.Str();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<std::vector<std::string>> keys = e.Keys(base);
      if (!keys.ok()) return Err(keys.status());
      return OkWith([&](Writer& w) {
        w.U32(static_cast<std::uint32_t>(keys->size()));
        for (const std::string& k : *keys) w.Str(k);
      });
    }
    case Type::kChanges: {
      std::uint64_t after = r.U64();
      std::uint64_t limit = r.U64();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<std::vector<ChangeEvent>> events =
          e.Changes(after, static_cast<std::size_t>(limit));
      if (!events.ok()) return Err(events.status());
      return OkWith([&](Writer& w) {
        w.U32(static_cast<std::uint32_t>(events->size()));
        for (const ChangeEvent& ev : *events) w.Event(ev);
      });
    }
    case Type::kRevision: {
      if (!r.done()) return Malformed(type);
      return OkWith([&](Writer& w) { w.U64(e.revision()); });
    }
    case Type::kMaintenance:
    case Type::kCompact: {
      if (!r.done()) return Malformed(type);
      absl::Status s =
          type == Type::kCompact ? e.Compact() : e.RunMaintenance();
      return Err(s);
    }
    case Type::kSet:
    case Type::kRemove:
    case Type::kClear:
    case Type::kCommit:
      break;
    default:
      return Malformed(type);
  }

  // Writes: (client, seq), then the request.
  RequestId id;
  id.client = r.U64();
  id.seq = r.U64();
  const std::uint64_t settled_below = r.U64();
  std::string key;
  std::string value;
  Precondition pre;
  std::int64_t ttl_us = 0;
  Batch batch;
  if (type == Type::kSet) {
    key = r.Str();
    value = r.Str();
    pre = r.Pre();
    ttl_us = r.I64();
  } else if (type == Type::kRemove) {
    key = r.Str();
    pre = r.Pre();
  } else if (type == Type::kClear) {
    key = r.Str();
  } else {
    std::uint32_t n = r.U32();
    if (n > payload.size()) return Malformed(type);
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      std::uint8_t kind = r.U8();
      std::string k = r.Str();
      std::string v = r.Str();
      Precondition p = r.Pre();
      std::int64_t t = r.I64();
      if (kind > static_cast<std::uint8_t>(BatchOpKind::kVerify)) {
        return Malformed(type);
      }
      BatchOp op;
      op.kind = static_cast<BatchOpKind>(kind);
      op.key = std::move(k);
      op.value = std::move(v);
      op.options.precondition = std::move(p);
      op.options.ttl = absl::Microseconds(t);
      batch.mutable_ops().push_back(std::move(op));
    }
  }
  if (!r.done()) return Malformed(type);

  // Every 256 writes of a client, drop its settled outcome records.
  if (id.seq != 0 && id.seq % kPruneEvery == 0 && settled_below > 1) {
    IpcAccess::DropOutcomes(static_cast<EngineImpl*>(engine_),
                            OutcomeKey(id.client, 0),
                            OutcomeKey(id.client, settled_below));
  }
  std::string okey;
  if (id.seq != 0) {
    okey = OutcomeKey(id.client, id.seq);
    Enter(okey);
  }
  struct Exit {
    Service* s;
    const std::string& k;
    ~Exit() {
      if (!k.empty()) s->Leave(k);
    }
  } exit{this, okey};
  std::optional<CommitResult> recorded;
  if (!okey.empty()) {
    absl::StatusOr<std::optional<CommitResult>> found = RecordedOutcome(okey);
    if (!found.ok()) return Err(found.status());
    recorded = *std::move(found);
  }
  ScopedOutcomeKey scoped(okey);
  switch (type) {
    case Type::kSet: {
      std::string etag;
      if (recorded) {
        if (recorded->etags.size() != 1) {
          return Err(absl::DataLossError("cask ipc: bad outcome record"));
        }
        etag = recorded->etags[0];
      } else {
        WriteOptions wo;
        wo.precondition = std::move(pre);
        wo.ttl = absl::Microseconds(ttl_us);
        absl::StatusOr<std::string> set = e.Set(key, value, wo);
        if (!set.ok()) return Err(set.status());
        etag = *std::move(set);
      }
      return OkWith([&](Writer& w) { w.Str(etag); });
    }
    case Type::kRemove:
      if (recorded) return Err(absl::OkStatus());
      return Err(e.Remove(key, pre));
    case Type::kClear:
      if (recorded) return Err(absl::OkStatus());
      return Err(e.Clear(key));
    default: {
      CommitResult result;
      if (recorded) {
        result = *std::move(recorded);
      } else {
        absl::StatusOr<CommitResult> c = e.Commit(batch);
        if (!c.ok()) return Err(c.status());
        result = *std::move(c);
      }
      return OkWith([&](Writer& w) { w.Result(result); });
    }
  }
}

// --- Server

struct Server::Conn {
  int fd = -1;
  std::mutex write_mu;
  std::thread reader;
  std::atomic<bool> finished{false};
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
  sockaddr_un addr = MakeAddr(*path);
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
      SendFrame(conn->fd, Type::kError, h.call, Err(s));
      break;
    }
    auto payload = std::make_shared<std::string>(h.length, '\0');
    if (!ReadFull(conn->fd, payload->data(), h.length)) break;
    auto job = [this, conn, h, payload] {
      absl::StatusOr<std::string> out =
          service_->Handle(static_cast<Type>(h.type), *payload);
      std::lock_guard<std::mutex> wl(conn->write_mu);
      if (out.ok()) {
        SendFrame(conn->fd, Type::kResponse, h.call, *out);
      } else {
        // A malformed request: say why and close the connection.
        SendFrame(conn->fd, Type::kError, h.call, Err(out.status()));
        shutdown(conn->fd, SHUT_RDWR);
      }
    };
    // Reads are answered on this thread (one thread hand-off less); writes
    // go to the workers, so that a connection's pipelined writes reach the
    // engine's write queue together (group commit).
    Type t = static_cast<Type>(h.type);
    if (t != Type::kSet && t != Type::kRemove && t != Type::kClear &&
        t != Type::kCommit && t != Type::kCompact && t != Type::kMaintenance) {
      job();
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
    cv_.notify_one();
  }
  shutdown(conn->fd, SHUT_RDWR);
  conn->finished.store(true);
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

}  // namespace ipc
}  // namespace cask::engine
