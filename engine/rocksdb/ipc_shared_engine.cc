#include "ipc_shared_engine.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc_outcomes.h"
#include "ipc_polling_watch.h"
#include "ipc_socket.h"

namespace cask::engine::ipc {
namespace {

// The longest the destructor waits for the owner to take its goodbye (the
// age limit drops the records of a client that could not say it).
constexpr absl::Duration kGoodbyeTimeout = absl::Seconds(1);

std::uint64_t RandomId() {
  std::random_device rd;
  std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  v ^= static_cast<std::uint64_t>(getpid()) << 17;
  v ^= static_cast<std::uint64_t>(absl::ToUnixNanos(absl::Now()));
  return v == 0 ? 1 : v;
}

}  // namespace

// A write's sequence number, registered while the write is in flight:
// every sequence below the lowest in flight is settled, and the owner may
// drop their outcome records (no retry of them can come).
class SharedEngine::InFlight {
 public:
  explicit InFlight(SharedEngine* e) : e_(e) {
    absl::MutexLock lock(&e->seq_mu_);
    seq = e->next_seq_++;
    e->in_flight_.insert(seq);
  }
  ~InFlight() {
    absl::MutexLock lock(&e_->seq_mu_);
    e_->in_flight_.erase(seq);
  }
  std::uint64_t seq;

 private:
  SharedEngine* const e_;
};

SharedEngine::SharedEngine(std::string path, EngineOptions options)
    : path_(std::move(path)),
      options_(std::move(options)),
      client_id_(RandomId()) {}

SharedEngine::~SharedEngine() {
  SayGoodbye();
  stop_.store(true);
  std::shared_ptr<Connection> conn;
  std::shared_ptr<Connection> connecting;
  {
    absl::MutexLock lock(&state_mu_);
    conn = conn_;
    connecting = connecting_;
  }
  // Wake the failover thread wherever it waits: on the connection (under
  // the connection's own mutex, so the wakeup cannot be lost) or on a hello
  // to an owner that does not answer.
  if (conn) conn->Wake();
  if (connecting) connecting->Abort();
  {
    absl::MutexLock lock(&state_mu_);
    if (connecting_fd_ >= 0) shutdown(connecting_fd_, SHUT_RDWR);
  }
  if (failover_thread_.joinable()) failover_thread_.join();
  std::unique_ptr<Owner> owner;
  {
    absl::MutexLock lock(&state_mu_);
    conn = std::move(conn_);
    owner = std::move(owner_);
  }
  conn.reset();
  owner.reset();
}

void SharedEngine::InitOwner(std::unique_ptr<Owner> owner) {
  local_ = owner->engine.get();
  local_turns_ = &owner->service->turns();
  caps_ = local_->capabilities();
  store_id_ = std::string(local_->store_id());
  absl::MutexLock lock(&state_mu_);
  owner_ = std::move(owner);
}

absl::Status SharedEngine::InitClient() {
  if (absl::Status s = Reconnect(0, CallDeadline(absl::Now())); !s.ok()) {
    return s;
  }
  failover_thread_ = std::thread([this] { FailoverLoop(); });
  return absl::OkStatus();
}

bool SharedEngine::is_client() const {
  absl::MutexLock lock(&state_mu_);
  return owner_ == nullptr;
}

Owner* SharedEngine::owner() {
  absl::MutexLock lock(&state_mu_);
  return owner_.get();
}

Capabilities SharedEngine::capabilities() const { return caps_; }
std::string_view SharedEngine::store_id() const { return store_id_; }

std::uint64_t SharedEngine::revision() const {
  if (local_ != nullptr) return local_->revision();
  absl::StatusOr<std::string> out =
      const_cast<SharedEngine*>(this)->Roundtrip(Type::kRevision, "", false);
  if (!out.ok()) return last_revision_.load();
  Reader r(*out);
  if (!r.StatusOf().ok()) return last_revision_.load();
  std::uint64_t rev = r.U64();
  last_revision_.store(rev);
  return rev;
}

absl::Status SharedEngine::RunMaintenance() {
  if (local_ != nullptr) return local_->RunMaintenance();
  return StatusOnly(Type::kMaintenance, "", false);
}

absl::Status SharedEngine::Compact() {
  if (local_ != nullptr) return local_->Compact();
  return StatusOnly(Type::kCompact, "", false);
}

absl::StatusOr<Item> SharedEngine::DoGet(const std::string& key) {
  if (local_ != nullptr) {
    local_turns_->AwaitRead(key, KeyTurns::kOwnerProcess);
    return local_->DoGet(key);
  }
  Writer w;
  w.Str(key);
  return DecodeItemReply(Roundtrip(Type::kGet, w.out(), false));
}

absl::Status SharedEngine::DoGetInto(const std::string& key, Item* item) {
  if (local_ != nullptr) {
    local_turns_->AwaitRead(key, KeyTurns::kOwnerProcess);
    return local_->DoGetInto(key, item);
  }
  return Engine::DoGetInto(key, item);
}

absl::StatusOr<Meta> SharedEngine::DoGetMeta(const std::string& key) {
  if (local_ != nullptr) {
    local_turns_->AwaitRead(key, KeyTurns::kOwnerProcess);
    return local_->DoGetMeta(key);
  }
  Writer w;
  w.Str(key);
  absl::StatusOr<std::string> out = Roundtrip(Type::kGetMeta, w.out(), false);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  Meta meta = r.MetaOf();
  if (!r.done()) return MalformedReply();
  return meta;
}

absl::StatusOr<bool> SharedEngine::DoHas(const std::string& key) {
  if (local_ != nullptr) return local_->DoHas(key);
  Writer w;
  w.Str(key);
  absl::StatusOr<std::string> out = Roundtrip(Type::kHas, w.out(), false);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  bool has = r.U8() != 0;
  if (!r.done()) return MalformedReply();
  return has;
}

absl::StatusOr<std::string> SharedEngine::DoSet(const std::string& key,
                                                std::string_view value,
                                                const WriteOptions& options) {
  if (local_ != nullptr) {
    KeyTurns::Pass pass = local_turns_->Enter(key, KeyTurns::kOwnerProcess);
    absl::StatusOr<std::string> set = local_->DoSet(key, value, options);
    local_turns_->Leave(key, KeyTurns::kOwnerProcess, pass, set.status());
    return set;
  }
  Writer w;
  InFlight in_flight(this);
  WriteHeader(w, in_flight.seq);
  w.Str(key);
  w.Str(value);
  w.Pre(options.precondition);
  w.I64(absl::ToInt64Microseconds(options.ttl));
  absl::StatusOr<std::string> out = Roundtrip(Type::kSet, w.out(), true);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  std::string etag = r.Str();
  if (!r.done()) return MalformedReply();
  return etag;
}

absl::Status SharedEngine::DoRemove(const std::string& key,
                                    const Precondition& precondition) {
  if (local_ != nullptr) {
    KeyTurns::Pass pass = local_turns_->Enter(key, KeyTurns::kOwnerProcess);
    absl::Status removed = local_->DoRemove(key, precondition);
    local_turns_->Leave(key, KeyTurns::kOwnerProcess, pass, removed);
    return removed;
  }
  Writer w;
  InFlight in_flight(this);
  WriteHeader(w, in_flight.seq);
  w.Str(key);
  w.Pre(precondition);
  return StatusOnly(Type::kRemove, w.out(), true);
}

absl::StatusOr<ScanPage> SharedEngine::DoScan(const std::string& base,
                                              const ScanOptions& options) {
  if (local_ != nullptr) return local_->DoScan(base, options);
  return ScanAnswer(
      Roundtrip(Type::kScan, ScanRequest(0, base, options), false), options);
}

std::string SharedEngine::ScanRequest(std::uint64_t snapshot_id,
                                      const std::string& base,
                                      const ScanOptions& options) {
  Writer w;
  w.U64(snapshot_id);
  w.Str(base);
  w.Str(options.start_after);
  w.U64(options.limit);
  w.U8(options.with_values ? 1 : 0);
  return std::move(w.out());
}

absl::StatusOr<ScanPage> SharedEngine::ScanAnswer(
    const absl::StatusOr<std::string>& out, const ScanOptions& options) {
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  std::uint32_t n = r.U32();
  if (n > options.limit) return MalformedReply();
  ScanPage page;
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    ScanEntry& entry = page.entries.emplace_back();
    entry.key = r.Str();
    entry.meta = r.MetaOf();
    entry.value = r.Str();
  }
  page.next_after = r.Str();
  if (!r.done()) return MalformedReply();
  return page;
}

absl::Status SharedEngine::DoClear(const std::string& base) {
  if (local_ != nullptr) return local_->DoClear(base);
  Writer w;
  InFlight in_flight(this);
  WriteHeader(w, in_flight.seq);
  w.Str(base);
  return StatusOnly(Type::kClear, w.out(), true);
}

absl::StatusOr<CommitResult> SharedEngine::DoCommit(const Batch& batch) {
  if (local_ != nullptr) return local_->DoCommit(batch);
  Writer w;
  InFlight in_flight(this);
  WriteHeader(w, in_flight.seq);
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
  if (!r.done()) return MalformedReply();
  return result;
}

absl::StatusOr<std::vector<ChangeEvent>> SharedEngine::DoChanges(
    std::uint64_t after_revision, std::size_t limit) {
  if (local_ != nullptr) return local_->DoChanges(after_revision, limit);
  Writer w;
  w.U64(after_revision);
  w.U64(limit);
  absl::StatusOr<std::string> out = Roundtrip(Type::kChanges, w.out(), false);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  std::uint32_t n = r.U32();
  std::vector<ChangeEvent> events;
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) events.push_back(r.Event());
  if (!r.done()) return MalformedReply();
  return events;
}

absl::StatusOr<std::unique_ptr<Subscription>> SharedEngine::DoWatch(
    const std::string& base, std::uint64_t after_revision,
    WatchCallback callback) {
  if (local_ != nullptr)
    return local_->DoWatch(base, after_revision, std::move(callback));
  // A probe, so that a start below the retention is refused now.
  absl::StatusOr<std::vector<ChangeEvent>> probe = DoChanges(after_revision, 0);
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<Subscription>(new PollingWatch(
      [this](std::uint64_t after, std::size_t limit) {
        return DoChanges(after, limit);
      },
      base, after_revision, std::move(callback)));
}

absl::Time SharedEngine::CallDeadline(absl::Time start) const {
  return options_.ipc_call_timeout > absl::ZeroDuration()
             ? start + options_.ipc_call_timeout
             : absl::InfiniteFuture();
}

void SharedEngine::WriteHeader(Writer& w, std::uint64_t seq) {
  std::uint64_t settled;
  {
    absl::MutexLock lock(&seq_mu_);
    settled = *in_flight_.begin();
  }
  w.U64(client_id_);
  w.U64(seq);
  w.U64(settled);
  w.U8((options_.durability == Durability::kDurable ? kWriteSync : 0) |
       kWriteFirstTry);
}

absl::Status SharedEngine::StatusOnly(Type type, std::string_view payload,
                                      bool write) {
  absl::StatusOr<std::string> out = Roundtrip(type, payload, write);
  if (!out.ok()) return out.status();
  Reader r(*out);
  absl::Status s = r.StatusOf();
  if (!r.done()) return MalformedReply();
  return s;
}

absl::StatusOr<std::string> SharedEngine::Roundtrip(
    Type type, std::string_view payload, bool write,
    std::uint64_t* answered_on) {
  if (payload.size() > kMaxPayload) {
    // Refused before anything is sent: the owner would refuse the frame.
    return absl::ResourceExhaustedError(absl::StrCat(
        "cask engine: the request is ", payload.size(),
        " bytes encoded, over the limit of ", kMaxPayload,
        " bytes between processes (this process is not the owner of \"", path_,
        "\"); nothing was sent"));
  }
  const absl::Time start = absl::Now();
  absl::Time deadline = CallDeadline(start);
  // The owner keeps outcome records for a limited time: never retry a
  // write past it (ipc_outcomes.h).
  if (write) deadline = std::min(deadline, start + kMaxWriteRetry);
  bool maybe_sent = false;
  bool timed_out = false;
  std::string retry;
  for (;;) {
    if (write && maybe_sent && retry.empty()) {
      // It may have been executed: from now on the owner must look for
      // its outcome record.
      retry = AsRetry(payload);
      payload = retry;
    }
    std::shared_ptr<Connection> conn;
    Service* service = nullptr;
    std::uint64_t gen;
    {
      absl::MutexLock lock(&state_mu_);
      conn = conn_;
      gen = gen_;
      if (owner_) service = owner_->service.get();
    }
    if (service != nullptr) {
      // This process took over: the same exactly-once path, in-process.
      if (answered_on != nullptr) *answered_on = gen;
      return service->HandleOwn(type, payload);
    }
    if (conn) {
      Connection::Reply reply = conn->Call(type, payload, deadline);
      maybe_sent = maybe_sent || reply.sent;
      if (reply.kind == Connection::Reply::Kind::kAnswered) {
        if (answered_on != nullptr) *answered_on = gen;
        return std::move(reply.payload);
      }
      if (reply.kind == Connection::Reply::Kind::kRefused) {
        // Not executed, and a retry would be refused again.
        return reply.status;
      }
      if (reply.kind == Connection::Reply::Kind::kTimedOut) {
        timed_out = true;
        break;
      }
    }
    if (absl::Now() >= deadline) break;
    (void)Reconnect(gen, deadline);
  }
  const std::string why =
      timed_out
          ? absl::StrCat("the owner of \"", path_,
                         "\" did not answer "
                         "within ",
                         absl::FormatDuration(deadline - start),
                         " (stopped, stuck or gone)")
          : absl::StrCat("cannot reach an owner of \"", path_, "\" within ",
                         absl::FormatDuration(deadline - start));
  if (write && maybe_sent) {
    return absl::UnknownError(
        absl::StrCat("cask engine: ", why,
                     " after a write was sent: the outcome is unknown"));
  }
  return absl::UnavailableError(
      absl::StrCat("cask engine: ", why, "; nothing was sent"));
}

absl::StatusOr<std::string> SharedEngine::CallOnGeneration(
    std::uint64_t gen, Type type, std::string_view payload,
    absl::Time deadline) {
  std::shared_ptr<Connection> conn;
  Service* service = nullptr;
  {
    absl::MutexLock lock(&state_mu_);
    if (gen_ == gen) {
      conn = conn_;
      if (owner_) service = owner_->service.get();
    }
  }
  if (service != nullptr) return service->HandleOwn(type, payload);
  absl::string_view why =
      "the connection to the owner that holds it was lost (the owner exited, "
      "or did not answer in time)";
  if (conn) {
    Connection::Reply reply = conn->Call(type, payload, deadline);
    if (reply.kind == Connection::Reply::Kind::kAnswered) {
      return std::move(reply.payload);
    }
    if (reply.kind == Connection::Reply::Kind::kRefused) return reply.status;
    if (reply.kind == Connection::Reply::Kind::kTimedOut) {
      why =
          "the owner that holds it did not answer in time (the connection "
          "to it is dropped, and the snapshot with it)";
    }
  }
  return absl::OutOfRangeError(
      absl::StrCat("cask engine: this snapshot is gone: ", why, " (store \"",
                   path_, "\"): open a new snapshot"));
}

void SharedEngine::PostOnGeneration(std::uint64_t gen, Type type,
                                    std::string_view payload,
                                    absl::Time deadline) {
  std::shared_ptr<Connection> conn;
  Service* service = nullptr;
  {
    absl::MutexLock lock(&state_mu_);
    if (gen_ != gen) return;
    conn = conn_;
    if (owner_) service = owner_->service.get();
  }
  if (service != nullptr) {
    (void)service->HandleOwn(type, payload);
  } else if (conn) {
    (void)conn->Post(type, payload, deadline);
  }
}

absl::Status SharedEngine::Reconnect(std::uint64_t gen, absl::Time deadline) {
  if (!reconnect_mu_.LockWhenWithDeadline(absl::Condition::kTrue, deadline)) {
    reconnect_mu_.Unlock();
    return absl::UnavailableError(
        "cask engine: still looking for the owner (another thread)");
  }
  struct Unlock {
    absl::Mutex* mu;
    ~Unlock() { mu->Unlock(); }
  } unlock{&reconnect_mu_};
  {
    absl::MutexLock lock(&state_mu_);
    if (gen_ != gen) return absl::OkStatus();
  }
  absl::Status last = absl::UnavailableError("cask engine: no owner");
  absl::Duration pause = absl::Microseconds(200);
  while (!stop_.load()) {
    absl::StatusOr<int> fd = ConnectSocket(path_);
    std::unique_ptr<Ring> ring;
    if (fd.ok() && RingTransportEnabled() && !no_ring_.load()) {
      {
        absl::MutexLock lock(&state_mu_);
        if (stop_.load()) {
          close(*fd);
          return last;
        }
        connecting_fd_ = *fd;
      }
      absl::StatusOr<std::unique_ptr<Ring>> got = RequestRing(*fd, deadline);
      {
        absl::MutexLock lock(&state_mu_);
        connecting_fd_ = -1;
      }
      if (got.ok()) {
        ring = *std::move(got);
      } else {
        close(*fd);
        if (!absl::IsUnavailable(got.status())) {
          no_ring_.store(true);  // an owner without rings: socket alone
          continue;
        }
        fd = got.status();  // it does not answer: as a failed connect
      }
    }
    if (fd.ok()) {
      auto conn = std::make_shared<Connection>(*fd, std::move(ring));
      {
        absl::MutexLock lock(&state_mu_);
        // The destructor sets stop_ before it looks at connecting_.
        if (stop_.load()) return last;
        connecting_ = conn;
      }
      Connection::Reply hello = conn->Call(Type::kHello, "", deadline);
      {
        absl::MutexLock lock(&state_mu_);
        connecting_.reset();
      }
      if (hello.kind == Connection::Reply::Kind::kRefused) {
        return hello.status;  // another user's socket, another protocol
      }
      if (hello.kind == Connection::Reply::Kind::kAnswered) {
        Reader r(hello.payload);
        absl::Status s = r.StatusOf();
        std::string id = r.Str();
        std::uint8_t flags = r.U8();
        std::uint64_t max = r.U64();
        if (s.ok() && r.done()) {
          absl::MutexLock lock(&state_mu_);
          if (gen_ == 0) {
            store_id_ = id;
            caps_.cas = flags & 1;
            caps_.atomic_batch = flags & 2;
            caps_.ttl = flags & 4;
            caps_.watch = flags & 8;
            caps_.snapshot = flags & 16;
            caps_.get_at = flags & 32;
            caps_.max_value_bytes = max;
          }
          conn_ = std::move(conn);
          ++gen_;
          return absl::OkStatus();
        }
        last = s.ok() ? MalformedReply() : s;
      } else {
        last = absl::UnavailableError(absl::StrCat(
            "cask engine: the owner of \"", path_, "\" does not answer"));
      }
    } else {
      last = fd.status();
    }
    std::unique_ptr<DirLock> dir_lock;
    if (TakeoverAllowed() &&
        DirLock::TryLock(path_, &dir_lock) == DirLock::Result::kLocked) {
      absl::StatusOr<std::unique_ptr<Owner>> owner =
          Owner::Start(path_, options_, std::move(dir_lock));
      if (owner.ok()) {
        absl::MutexLock lock(&state_mu_);
        if (gen_ == 0) {
          caps_ = (*owner)->engine->capabilities();
          store_id_ = std::string((*owner)->engine->store_id());
        }
        owner_ = *std::move(owner);
        // Own calls still go through Service (exactly-once retries of the
        // writes in flight); local_ stays null.
        conn_.reset();
        ++gen_;
        return absl::OkStatus();
      }
      // RocksDB still locked: the old owner is still closing.
      if (!LockHeldByOtherProcess(owner.status())) return owner.status();
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return last;
    absl::SleepFor(std::min(pause, left));
    pause = std::min(pause * 2, absl::Milliseconds(5));
  }
  return last;
}

void SharedEngine::FailoverLoop() {
  while (!stop_.load()) {
    std::shared_ptr<Connection> conn;
    std::uint64_t gen;
    {
      absl::MutexLock lock(&state_mu_);
      if (owner_) return;  // this process owns the store now
      conn = conn_;
      gen = gen_;
    }
    if (conn) conn->WaitDead(stop_);
    if (stop_.load()) return;
    if (!Reconnect(gen, CallDeadline(absl::Now())).ok()) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
}

void SharedEngine::SayGoodbye() {
  std::uint64_t end;
  {
    absl::MutexLock lock(&seq_mu_);
    end = next_seq_;
  }
  if (end <= 1) return;  // no write, no record
  Writer w;
  w.U64(client_id_);
  w.U64(end);
  std::shared_ptr<Connection> conn;
  Service* service = nullptr;
  {
    absl::MutexLock lock(&state_mu_);
    conn = conn_;
    if (owner_) service = owner_->service.get();
  }
  // Best effort, no retry: records left behind go with their age.
  if (service != nullptr) {
    (void)service->HandleOwn(Type::kGoodbye, w.out());
  } else if (conn) {
    (void)conn->Call(
        Type::kGoodbye, w.out(),
        std::min(CallDeadline(absl::Now()), absl::Now() + kGoodbyeTimeout));
  }
}

}  // namespace cask::engine::ipc
