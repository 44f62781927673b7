// SharedEngine: what Engine::Open returns. Either the owner (RocksDB in
// this process, served to others) or a client forwarding to the owner,
// turning into the owner when the owner goes away.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"
#include "ipc_internal.h"
#include "testing.h"

namespace cask::engine::ipc {
namespace {

std::atomic<bool> g_takeover_allowed{true};

// How long a client keeps trying to reach (or become) an owner before a
// call fails.
constexpr absl::Duration kFailoverWindow = absl::Seconds(20);
constexpr absl::Duration kWatchPoll = absl::Milliseconds(5);
constexpr std::size_t kWatchBatch = 1000;

bool LockHeldByOtherProcess(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable &&
         absl::StrContains(s.message(), "While lock file");
}

// The owner's lock: flock on the store directory itself (so nothing is
// added to a directory that is not a store yet). Taken before RocksDB is
// opened, so processes that will not own the store never call DB::Open
// (which rotates the info LOG even when the LOCK is held elsewhere). A
// process knows which directories it owns: a second Open of one of them in
// the same process is kUnavailable, as before issue 4.
std::mutex g_owned_mu;
std::set<std::pair<dev_t, ino_t>> g_owned;

class DirLock {
 public:
  enum class Result { kLocked, kHeldElsewhere, kHeldHere };
  static Result TryLock(const std::string& dir, std::unique_ptr<DirLock>* out) {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Result::kHeldElsewhere;
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      close(fd);
      return Result::kHeldElsewhere;
    }
    std::lock_guard<std::mutex> lock(g_owned_mu);
    if (g_owned.contains({st.st_dev, st.st_ino})) {
      close(fd);
      return Result::kHeldHere;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      return Result::kHeldElsewhere;
    }
    g_owned.insert({st.st_dev, st.st_ino});
    out->reset(new DirLock(fd, st.st_dev, st.st_ino));
    return Result::kLocked;
  }
  ~DirLock() {
    std::lock_guard<std::mutex> lock(g_owned_mu);
    g_owned.erase({dev_, ino_});
    close(fd_);  // releases the flock
  }

 private:
  DirLock(int fd, dev_t dev, ino_t ino) : fd_(fd), dev_(dev), ino_(ino) {}
  const int fd_;
  const dev_t dev_;
  const ino_t ino_;
};

// One connection to the owner; many threads' calls share it (pipelining).
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~Connection() {
    shutdown(fd_, SHUT_RDWR);
    reader_.join();
    close(fd_);
  }

  struct Reply {
    bool sent = false;  // some of the request may have reached the owner
    bool answered = false;
    std::string payload;
  };

  // Sends a request and waits for its response.
  Reply Call(Type type, std::string_view payload) {
    Pending p;
    std::uint64_t call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (dead_) return {};
      call = next_call_++;
      pending_[call] = &p;
    }
    bool wrote;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      wrote = SendFrame(fd_, type, call, payload);
    }
    if (!wrote) shutdown(fd_, SHUT_RDWR);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return p.done || dead_; });
    pending_.erase(call);
    Reply r;
    r.sent = true;
    r.answered = p.done;
    r.payload = std::move(p.payload);
    return r;
  }

  bool dead() {
    std::lock_guard<std::mutex> lock(mu_);
    return dead_;
  }
  // Waits until the connection drops or `stop` is set (under `mu_`'s cv).
  void WaitDead(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return dead_ || stop.load(); });
  }
  void Wake() { cv_.notify_all(); }

 private:
  struct Pending {
    bool done = false;
    std::string payload;
  };

  void ReadLoop() {
    char head[kHeaderBytes];
    for (;;) {
      if (!ReadFull(fd_, head, kHeaderBytes)) break;
      Header h = DecodeHeader(head);
      if (!CheckHeader(h, /*from_client=*/false).ok()) break;
      std::string payload(h.length, '\0');
      if (!ReadFull(fd_, payload.data(), h.length)) break;
      if (h.type == static_cast<std::uint8_t>(Type::kError)) break;
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(h.call);
      if (it == pending_.end()) continue;
      it->second->done = true;
      it->second->payload = std::move(payload);
      cv_.notify_all();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      dead_ = true;
    }
    cv_.notify_all();
  }

  const int fd_;
  std::thread reader_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dead_ = false;
  std::uint64_t next_call_ = 1;
  std::map<std::uint64_t, Pending*> pending_;
};

// The owner's machinery: the engine, the service and the server.
struct Owner {
  std::unique_ptr<DirLock> dir_lock;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Service> service;
  std::unique_ptr<Server> server;
  ~Owner() {
    server.reset();  // stop serving before the engine closes
    service.reset();
    engine.reset();
    dir_lock.reset();  // last: a successor finds RocksDB's LOCK free
  }
};

absl::StatusOr<std::unique_ptr<Owner>> MakeOwner(
    const std::string& path, std::unique_ptr<DirLock> dir_lock,
    std::unique_ptr<Engine> engine) {
  auto owner = std::make_unique<Owner>();
  owner->dir_lock = std::move(dir_lock);
  owner->engine = std::move(engine);
  owner->service = std::make_unique<Service>(owner->engine.get());
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(path, owner->service.get());
  if (!server.ok()) return server.status();
  owner->server = *std::move(server);
  return owner;
}

std::uint64_t RandomId() {
  std::random_device rd;
  std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  v ^= static_cast<std::uint64_t>(getpid()) << 17;
  v ^= static_cast<std::uint64_t>(absl::ToUnixNanos(absl::Now()));
  return v == 0 ? 1 : v;
}

class SharedEngine;

class PollingWatch final : public Subscription {
 public:
  PollingWatch(SharedEngine* engine, std::string base, std::uint64_t after,
               WatchCallback callback)
      : engine_(engine),
        base_(std::move(base)),
        cursor_(after),
        callback_(std::move(callback)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PollingWatch() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run();

  SharedEngine* const engine_;
  const std::string base_;
  std::uint64_t cursor_;
  WatchCallback callback_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

class SharedEngine final : public Engine {
 public:
  SharedEngine(std::string path, EngineOptions options)
      : path_(std::move(path)),
        options_(std::move(options)),
        client_id_(RandomId()) {}

  ~SharedEngine() override {
    stop_.store(true);
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (conn_) conn_->Wake();
    }
    state_cv_.notify_all();
    if (failover_thread_.joinable()) failover_thread_.join();
    std::lock_guard<std::mutex> lock(state_mu_);
    conn_.reset();
    owner_.reset();
  }

  // Becomes the owner of an engine opened in this process.
  absl::Status InitOwner(std::unique_ptr<DirLock> dir_lock,
                         std::unique_ptr<Engine> engine) {
    absl::StatusOr<std::unique_ptr<Owner>> owner =
        MakeOwner(path_, std::move(dir_lock), std::move(engine));
    if (!owner.ok()) return owner.status();
    local_ = (*owner)->engine.get();
    caps_ = local_->capabilities();
    store_id_ = std::string(local_->store_id());
    owner_ = *std::move(owner);
    return absl::OkStatus();
  }

  // Connects to the owner (or takes over when it is gone).
  absl::Status InitClient() {
    if (absl::Status s = Reconnect(0); !s.ok()) return s;
    failover_thread_ = std::thread([this] { FailoverLoop(); });
    return absl::OkStatus();
  }

  bool is_client() const {
    std::lock_guard<std::mutex> lock(state_mu_);
    return local_ == nullptr && owner_ == nullptr;
  }

  std::string_view name() const override { return "engine"; }
  Capabilities capabilities() const override { return caps_; }
  std::uint64_t revision() const override {
    if (Engine* e = Local()) return e->revision();
    absl::StatusOr<std::string> out =
        const_cast<SharedEngine*>(this)->Roundtrip(Type::kRevision, "", false);
    if (!out.ok()) return last_revision_.load();
    Reader r(*out);
    if (!r.StatusOf().ok()) return last_revision_.load();
    std::uint64_t rev = r.U64();
    last_revision_.store(rev);
    return rev;
  }
  std::string_view store_id() const override { return store_id_; }
  absl::Status RunMaintenance() override {
    if (Engine* e = Local()) return e->RunMaintenance();
    return StatusOnly(Type::kMaintenance, "", false);
  }
  absl::Status Compact() override {
    if (Engine* e = Local()) return e->Compact();
    return StatusOnly(Type::kCompact, "", false);
  }

  // The calls, decoded: used by PollingWatch too.
  absl::StatusOr<std::vector<ChangeEvent>> ChangesCall(std::uint64_t after,
                                                       std::size_t limit) {
    if (Engine* e = Local()) return e->Changes(after, limit);
    Writer w;
    w.U64(after);
    w.U64(limit);
    absl::StatusOr<std::string> out = Roundtrip(Type::kChanges, w.out(), false);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    std::uint32_t n = r.U32();
    std::vector<ChangeEvent> events;
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) events.push_back(r.Event());
    if (!r.done()) return BadReply();
    return events;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    if (Engine* e = Local()) return e->Get(key);
    Writer w;
    w.Str(key);
    absl::StatusOr<std::string> out = Roundtrip(Type::kGet, w.out(), false);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    Item item;
    item.value = r.Str();
    item.meta = r.MetaOf();
    if (!r.done()) return BadReply();
    return item;
  }
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    if (Engine* e = Local()) return e->GetMeta(key);
    Writer w;
    w.Str(key);
    absl::StatusOr<std::string> out = Roundtrip(Type::kGetMeta, w.out(), false);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    Meta meta = r.MetaOf();
    if (!r.done()) return BadReply();
    return meta;
  }
  absl::StatusOr<bool> DoHas(const std::string& key) override {
    if (Engine* e = Local()) return e->Has(key);
    Writer w;
    w.Str(key);
    absl::StatusOr<std::string> out = Roundtrip(Type::kHas, w.out(), false);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    bool has = r.U8() != 0;
    if (!r.done()) return BadReply();
    return has;
  }
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    if (Engine* e = Local()) return e->Set(key, value, options);
    Writer w;
    InFlight in_flight(this);
    WriteId(w, in_flight.seq);
    w.Str(key);
    w.Str(value);
    w.Pre(options.precondition);
    w.I64(absl::ToInt64Microseconds(options.ttl));
    absl::StatusOr<std::string> out = Roundtrip(Type::kSet, w.out(), true);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    std::string etag = r.Str();
    if (!r.done()) return BadReply();
    return etag;
  }
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    if (Engine* e = Local()) return e->Remove(key, precondition);
    Writer w;
    InFlight in_flight(this);
    WriteId(w, in_flight.seq);
    w.Str(key);
    w.Pre(precondition);
    return StatusOnly(Type::kRemove, w.out(), true);
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    if (Engine* e = Local()) return e->Keys(base);
    Writer w;
    w.Str(base);
    absl::StatusOr<std::string> out = Roundtrip(Type::kKeys, w.out(), false);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    std::uint32_t n = r.U32();
    std::vector<std::string> keys;
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) keys.push_back(r.Str());
    if (!r.done()) return BadReply();
    return keys;
  }
  absl::Status DoClear(const std::string& base) override {
    if (Engine* e = Local()) return e->Clear(base);
    Writer w;
    InFlight in_flight(this);
    WriteId(w, in_flight.seq);
    w.Str(base);
    return StatusOnly(Type::kClear, w.out(), true);
  }
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    if (Engine* e = Local()) return e->Commit(batch);
    Writer w;
    InFlight in_flight(this);
    WriteId(w, in_flight.seq);
    w.U32(static_cast<std::uint32_t>(batch.size()));
    for (const BatchOp& op : batch.ops()) {
      w.U8(static_cast<std::uint8_t>(op.kind));
      w.Str(op.key);
      w.Str(op.value);
      w.Pre(op.options.precondition);
      w.I64(absl::ToInt64Microseconds(op.options.ttl));
    }
    absl::StatusOr<std::string> out = Roundtrip(Type::kCommit, w.out(), true);
    if (!out.ok()) return out.status();
    Reader r(*out);
    if (absl::Status s = r.StatusOf(); !s.ok()) return s;
    CommitResult result = r.Result();
    if (!r.done()) return BadReply();
    return result;
  }
  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override {
    return ChangesCall(after_revision, limit);
  }
  absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback) override {
    if (Engine* e = Local()) return e->Watch(base, after_revision, callback);
    // A probe, so that a start below the retention is refused now.
    absl::StatusOr<std::vector<ChangeEvent>> probe =
        ChangesCall(after_revision, 0);
    if (!probe.ok()) return probe.status();
    return std::unique_ptr<Subscription>(
        new PollingWatch(this, base, after_revision, std::move(callback)));
  }

 private:
  static absl::Status BadReply() {
    return absl::InternalError("cask ipc: malformed reply from the owner");
  }

  // local_ is written once, by InitOwner before this object is returned
  // to the caller, and never changed: reading it needs no lock (and the
  // owner's hot path takes none).
  Engine* Local() const { return local_; }

  // A write's sequence number, registered while the write is in flight:
  // every sequence below the lowest in flight is settled, and the owner may
  // drop their outcome records (no retry of them can come).
  class InFlight {
   public:
    explicit InFlight(SharedEngine* e) : e_(e) {
      std::lock_guard<std::mutex> lock(e->seq_mu_);
      seq = e->next_seq_++;
      e->in_flight_.insert(seq);
    }
    ~InFlight() {
      std::lock_guard<std::mutex> lock(e_->seq_mu_);
      e_->in_flight_.erase(seq);
    }
    std::uint64_t seq;

   private:
    SharedEngine* const e_;
  };

  // (client id, sequence, lowest sequence in flight).
  void WriteId(Writer& w, std::uint64_t seq) {
    std::uint64_t settled;
    {
      std::lock_guard<std::mutex> lock(seq_mu_);
      settled = *in_flight_.begin();
    }
    w.U64(client_id_);
    w.U64(seq);
    w.U64(settled);
  }

  absl::Status StatusOnly(Type type, std::string_view payload, bool write) {
    absl::StatusOr<std::string> out = Roundtrip(type, payload, write);
    if (!out.ok()) return out.status();
    Reader r(*out);
    absl::Status s = r.StatusOf();
    if (!r.done()) return BadReply();
    return s;
  }

  // Sends a request to the owner, retrying across failovers until the
  // failover window closes; the response payload (status + body).
  absl::StatusOr<std::string> Roundtrip(Type type, std::string_view payload,
                                        bool write) {
    const absl::Time deadline = absl::Now() + kFailoverWindow;
    bool maybe_applied = false;
    for (;;) {
      std::shared_ptr<Connection> conn;
      Service* service = nullptr;
      std::uint64_t gen;
      {
        std::lock_guard<std::mutex> lock(state_mu_);
        conn = conn_;
        gen = gen_;
        if (owner_) service = owner_->service.get();
      }
      if (service != nullptr) {
        // This process took over: the same exactly-once path, in-process.
        absl::StatusOr<std::string> out = service->Handle(type, payload);
        if (!out.ok()) return out.status();
        return out;
      }
      if (conn) {
        Connection::Reply reply = conn->Call(type, payload);
        if (reply.answered) return std::move(reply.payload);
        maybe_applied = maybe_applied || reply.sent;
      }
      if (absl::Now() >= deadline) break;
      if (!Reconnect(gen).ok() && absl::Now() >= deadline) break;
    }
    if (write && maybe_applied) {
      return absl::UnknownError(absl::StrCat(
          "cask engine: lost the owner of \"", path_,
          "\" while a write was in flight and could not reach a new owner "
          "within ",
          absl::FormatDuration(kFailoverWindow), ": the outcome is unknown"));
    }
    return absl::UnavailableError(
        absl::StrCat("cask engine: cannot reach the owner of \"", path_, "\""));
  }

  // Replaces connection generation `gen` with a new connection, or makes
  // this process the owner. No-op if another thread already did.
  absl::Status Reconnect(std::uint64_t gen) {
    std::lock_guard<std::mutex> reconnect_lock(reconnect_mu_);
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (gen_ != gen) return absl::OkStatus();
    }
    const absl::Time deadline = absl::Now() + kFailoverWindow;
    absl::Status last = absl::UnavailableError("cask engine: no owner");
    absl::Duration pause = absl::Microseconds(200);
    while (!stop_.load()) {
      absl::StatusOr<int> fd = ConnectSocket(path_);
      if (fd.ok()) {
        auto conn = std::make_shared<Connection>(*fd);
        Connection::Reply hello = conn->Call(Type::kHello, "");
        if (hello.answered) {
          Reader r(hello.payload);
          absl::Status s = r.StatusOf();
          std::string id = r.Str();
          std::uint8_t flags = r.U8();
          std::uint64_t max = r.U64();
          if (s.ok() && r.done()) {
            std::lock_guard<std::mutex> lock(state_mu_);
            if (gen_ == 0) {
              store_id_ = id;
              caps_.cas = flags & 1;
              caps_.atomic_batch = flags & 2;
              caps_.ttl = flags & 4;
              caps_.watch = flags & 8;
              caps_.max_value_bytes = max;
            }
            conn_ = std::move(conn);
            ++gen_;
            state_cv_.notify_all();
            return absl::OkStatus();
          }
        }
        last = fd.status();
      } else {
        last = fd.status();
      }
      std::unique_ptr<DirLock> dir_lock;
      if (g_takeover_allowed.load() &&
          DirLock::TryLock(path_, &dir_lock) == DirLock::Result::kLocked) {
        absl::StatusOr<std::unique_ptr<Engine>> engine =
            OpenEngineWithEnv(path_, options_, nullptr);
        if (engine.ok()) {
          absl::StatusOr<std::unique_ptr<Owner>> owner =
              MakeOwner(path_, std::move(dir_lock), *std::move(engine));
          if (!owner.ok()) return owner.status();
          std::lock_guard<std::mutex> lock(state_mu_);
          if (gen_ == 0) {
            caps_ = (*owner)->engine->capabilities();
            store_id_ = std::string((*owner)->engine->store_id());
          }
          owner_ = *std::move(owner);
          // Own calls still go through Service (exactly-once retries);
          // local_ stays null so the Do* methods keep using Roundtrip.
          conn_.reset();
          ++gen_;
          state_cv_.notify_all();
          return absl::OkStatus();
        }
        // RocksDB still locked: the old owner is still closing.
        if (!LockHeldByOtherProcess(engine.status())) return engine.status();
      }
      if (absl::Now() >= deadline) return last;
      absl::SleepFor(pause);
      pause = std::min(pause * 2, absl::Milliseconds(5));
    }
    return last;
  }

  // Reconnects (or takes over) as soon as the connection drops, without
  // waiting for the next call.
  void FailoverLoop() {
    while (!stop_.load()) {
      std::shared_ptr<Connection> conn;
      std::uint64_t gen;
      {
        std::unique_lock<std::mutex> lock(state_mu_);
        if (owner_) return;  // we are the owner now
        conn = conn_;
        gen = gen_;
      }
      if (conn) conn->WaitDead(stop_);
      if (stop_.load()) return;
      if (!Reconnect(gen).ok()) absl::SleepFor(absl::Milliseconds(10));
    }
  }

  const std::string path_;
  const EngineOptions options_;
  const std::uint64_t client_id_;
  std::mutex seq_mu_;
  std::uint64_t next_seq_ = 1;         // guarded by seq_mu_
  std::set<std::uint64_t> in_flight_;  // guarded by seq_mu_
  std::atomic<bool> stop_{false};

  Capabilities caps_;
  std::string store_id_;
  mutable std::atomic<std::uint64_t> last_revision_{0};

  mutable std::mutex state_mu_;
  std::condition_variable state_cv_;
  Engine* local_ = nullptr;  // set only for an owner from the start; see Local()
  std::unique_ptr<Owner> owner_;
  std::shared_ptr<Connection> conn_;
  std::uint64_t gen_ = 0;
  std::mutex reconnect_mu_;
  std::thread failover_thread_;
};

void PollingWatch::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
    }
    absl::StatusOr<std::vector<ChangeEvent>> events =
        engine_->ChangesCall(cursor_, kWatchBatch);
    if (events.ok()) {
      for (const ChangeEvent& ev : *events) {
        cursor_ = ev.revision;
        // The engine's own rule (change_log.cc, WatchWants).
        bool match = ev.kind != ChangeKind::kClear
                         ? IsUnderBase(ev.key, base_)
                         : ev.key == base_ || IsUnderBase(ev.key, base_) ||
                               IsUnderBase(base_, ev.key);
        if (match) callback_(ev);
      }
      if (events->size() == kWatchBatch) continue;
    } else if (events.status().code() == absl::StatusCode::kOutOfRange) {
      return;  // fell behind the retention: delivery stops
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(
        lock, std::chrono::microseconds(absl::ToInt64Microseconds(kWatchPoll)),
        [&] { return stop_; });
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& path,
                                             const EngineOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!path.empty() && !fs::exists(st) && options.create_if_missing) {
    fs::create_directories(path, ec);
    st = fs::status(path, ec);
  }
  if (path.empty() || !fs::is_directory(st)) {
    // Let the engine report it (missing, not a directory...).
    return OpenEngineWithEnv(path, options, nullptr);
  }
  std::unique_ptr<DirLock> dir_lock;
  // With takeover off (a test hook) this process never owns the store.
  DirLock::Result lock_result = g_takeover_allowed.load()
                                    ? DirLock::TryLock(path, &dir_lock)
                                    : DirLock::Result::kHeldElsewhere;
  switch (lock_result) {
    case DirLock::Result::kHeldHere:
      return absl::UnavailableError(absl::StrCat(
          "cask engine: store \"", path,
          "\" is already open in this process (one Engine per store and "
          "process; share it between threads)"));
    case DirLock::Result::kLocked: {
      absl::StatusOr<std::unique_ptr<Engine>> opened =
          OpenEngineWithEnv(path, options, nullptr);
      if (opened.ok()) {
        auto shared = std::make_unique<SharedEngine>(path, options);
        if (absl::Status s =
                shared->InitOwner(std::move(dir_lock), *std::move(opened));
            !s.ok()) {
          return s;
        }
        return std::unique_ptr<Engine>(std::move(shared));
      }
      // Open in another process without the directory lock (an older
      // owner still closing): become its client.
      if (!LockHeldByOtherProcess(opened.status())) return opened.status();
      dir_lock.reset();
      break;
    }
    case DirLock::Result::kHeldElsewhere:
      break;
  }
  auto shared = std::make_unique<SharedEngine>(path, options);
  if (absl::Status s = shared->InitClient(); !s.ok()) return s;
  return std::unique_ptr<Engine>(std::move(shared));
}

void SetTakeoverAllowed(bool allowed) { g_takeover_allowed.store(allowed); }

absl::StatusOr<pid_t> OwnerPid(const std::string& path) {
  absl::StatusOr<int> fd = ConnectSocket(path);
  if (!fd.ok()) return fd.status();
  ucred cred{};
  socklen_t len = sizeof cred;
  int r = getsockopt(*fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  close(*fd);
  if (r != 0) return absl::UnavailableError("cask ipc: SO_PEERCRED failed");
  return cred.pid;
}

bool IsClient(const Engine& engine) {
  const auto* shared = dynamic_cast<const SharedEngine*>(&engine);
  return shared != nullptr && shared->is_client();
}

}  // namespace cask::engine::ipc
