#include "ipc_service.h"

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "context_writer.h"

namespace cask::engine::ipc {
namespace {

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

// A forwarded write, decoded.
struct WriteCall {
  RequestId id;
  std::uint64_t settled_below = 0;
  std::uint8_t flags = 0;
  std::string key;  // or the base of a clear
  std::string value;
  Precondition pre;
  std::int64_t ttl_us = 0;
  Batch batch;
};

bool DecodeWrite(Type type, std::string_view payload, WriteCall* call) {
  Reader r(payload);
  call->id.client = r.U64();
  call->id.seq = r.U64();
  call->settled_below = r.U64();
  call->flags = r.U8();
  if (type == Type::kSet) {
    call->key = r.Str();
    call->value = r.Str();
    call->pre = r.Pre();
    call->ttl_us = r.I64();
  } else if (type == Type::kRemove) {
    call->key = r.Str();
    call->pre = r.Pre();
  } else if (type == Type::kClear) {
    call->key = r.Str();
  } else {
    std::uint32_t n = r.U32();
    if (n > payload.size()) return false;
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      std::uint8_t kind = r.U8();
      std::string k = r.Str();
      std::string v = r.Str();
      Precondition p = r.Pre();
      std::int64_t t = r.I64();
      if (kind > static_cast<std::uint8_t>(BatchOpKind::kVerify)) return false;
      BatchOp op;
      op.kind = static_cast<BatchOpKind>(kind);
      op.key = std::move(k);
      op.value = std::move(v);
      op.options.precondition = std::move(p);
      op.options.ttl = absl::Microseconds(t);
      call->batch.mutable_ops().push_back(std::move(op));
    }
  }
  return r.done();
}

}  // namespace

void Service::Enter(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto free = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !in_flight_.contains(key);
  };
  mu_.Await(absl::Condition(&free));
  in_flight_.insert(key);
}

void Service::Leave(const std::string& key) {
  absl::MutexLock lock(&mu_);
  in_flight_.erase(key);
}

Service::~Service() { snapshots_.EndSession(*own_session_); }

absl::StatusOr<std::string> Service::Handle(Type type, std::string_view payload,
                                            PinnedSnapshots::Session& session) {
  Reader r(payload);
  EngineImpl& e = *engine_;
  switch (type) {
    case Type::kHello: {
      if (!r.done()) return Malformed(type);
      Capabilities caps = e.capabilities();
      return OkWith([&](Writer& w) {
        w.Str(e.store_id());
        w.U8(static_cast<std::uint8_t>(caps.cas | caps.atomic_batch << 1 |
                                       caps.ttl << 2 | caps.watch << 3 |
                                       caps.snapshot << 4 | caps.get_at << 5));
        w.U64(caps.max_value_bytes);
      });
    }
    case Type::kGet: {
      std::string key = r.Str();
      if (!r.done()) return Malformed(type);
      AwaitReadTurn(key, session);
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
      AwaitReadTurn(key, session);
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
    case Type::kScan: {
      std::uint64_t snapshot_id = r.U64();
      std::string base = r.Str();
      ScanOptions options;
      options.start_after = r.Str();
      options.limit = static_cast<std::size_t>(r.U64());
      options.with_values = r.U8() != 0;
      if (!r.done()) return Malformed(type);
      std::shared_ptr<Snapshot> snapshot;
      if (snapshot_id != 0) {
        absl::StatusOr<std::shared_ptr<Snapshot>> found =
            snapshots_.Find(session, snapshot_id);
        if (!found.ok()) return Err(found.status());
        snapshot = *std::move(found);
      }
      absl::StatusOr<ScanPage> page =
          snapshot ? snapshot->Scan(base, options) : e.Scan(base, options);
      if (!page.ok()) return Err(page.status());
      std::size_t bytes = 0;
      std::size_t n = 0;
      while (n < page->entries.size() && (n == 0 || bytes < kScanPageBytes)) {
        bytes += page->entries[n].key.size() + page->entries[n].value.size();
        ++n;
      }
      if (n < page->entries.size()) page->next_after = page->entries[n - 1].key;
      return OkWith([&](Writer& w) {
        w.U32(static_cast<std::uint32_t>(n));
        for (std::size_t i = 0; i < n; ++i) {
          const ScanEntry& entry = page->entries[i];
          w.Str(entry.key);
          w.MetaOf(entry.meta);
          w.Str(entry.value);
        }
        w.Str(page->next_after);
      });
    }
    case Type::kSnapshotOpen: {
      if (!r.done()) return Malformed(type);
      absl::StatusOr<PinnedSnapshots::Pin> pin = snapshots_.Open(session);
      if (!pin.ok()) return Err(pin.status());
      return OkWith([&](Writer& w) {
        w.U64(pin->id);
        w.U64(pin->revision);
      });
    }
    case Type::kSnapshotGet:
    case Type::kGetAt: {
      std::uint64_t number = type == Type::kSnapshotGet ? r.U64() : 0;
      std::string key = r.Str();
      if (type == Type::kGetAt) number = r.U64();
      if (!r.done()) return Malformed(type);
      absl::StatusOr<Item> item;
      if (type == Type::kGetAt) {
        item = e.GetAt(key, number);
      } else {
        absl::StatusOr<std::shared_ptr<Snapshot>> snapshot =
            snapshots_.Find(session, number);
        if (!snapshot.ok()) return Err(snapshot.status());
        item = (*snapshot)->Get(key);
      }
      if (!item.ok()) return Err(item.status());
      return OkWith([&](Writer& w) {
        w.Str(item->value);
        w.MetaOf(item->meta);
      });
    }
    case Type::kSnapshotRelease: {
      std::uint64_t id = r.U64();
      if (!r.done()) return Malformed(type);
      snapshots_.Release(session, id);
      return Err(absl::OkStatus());
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
    case Type::kGoodbye: {
      std::uint64_t client = r.U64();
      std::uint64_t end = r.U64();
      if (!r.done()) return Malformed(type);
      return Err(outcomes_.Goodbye(client, end));
    }
    case Type::kSet:
    case Type::kRemove:
    case Type::kClear:
    case Type::kCommit:
      return HandleWrite(type, payload, session);
    default:
      return Malformed(type);
  }
}

void Service::AwaitReadTurn(const std::string& key,
                            const PinnedSnapshots::Session& session) {
  const std::uint64_t client = session.client.load(std::memory_order_relaxed);
  if (client != 0) turns_.AwaitRead(key, client);
}

absl::StatusOr<std::string> Service::HandleWrite(
    Type type, std::string_view payload, PinnedSnapshots::Session& session) {
  WriteCall call;
  if (!DecodeWrite(type, payload, &call)) return Malformed(type);
  session.client.store(call.id.client, std::memory_order_relaxed);
  outcomes_.Settled(call.id.client, call.id.seq, call.settled_below);

  WriteContext context;
  context.sync = (call.flags & kWriteSync) != 0;
  if (call.id.seq != 0) {
    context.outcome_key = OutcomeKeeper::Key(call.id.client, call.id.seq);
    Enter(context.outcome_key);
  }
  struct Exit {
    Service* s;
    const std::string& k;
    ~Exit() {
      if (!k.empty()) s->Leave(k);
    }
  } exit{this, context.outcome_key};
  std::optional<CommitResult> recorded;
  // A first try cannot have a record: no lookup (a RocksDB read).
  if (!context.outcome_key.empty() && (call.flags & kWriteFirstTry) == 0) {
    absl::StatusOr<std::optional<CommitResult>> found =
        outcomes_.Lookup(context.outcome_key);
    if (!found.ok()) return Err(found.status());
    recorded = *std::move(found);
  }
  // Through the Driver's own checks; the context reaches the write queue.
  ContextWriter writer(engine_, &context);
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
        wo.precondition = std::move(call.pre);
        wo.ttl = absl::Microseconds(call.ttl_us);
        KeyTurns::Pass pass = turns_.Enter(call.key, call.id.client);
        absl::StatusOr<std::string> set = writer.Set(call.key, call.value, wo);
        turns_.Leave(call.key, call.id.client, pass, set.status());
        if (!set.ok()) return Err(set.status());
        etag = *std::move(set);
      }
      return OkWith([&](Writer& w) { w.Str(etag); });
    }
    case Type::kRemove: {
      if (recorded) return Err(absl::OkStatus());
      KeyTurns::Pass pass = turns_.Enter(call.key, call.id.client);
      absl::Status removed = writer.Remove(call.key, call.pre);
      turns_.Leave(call.key, call.id.client, pass, removed);
      return Err(removed);
    }
    case Type::kClear:
      if (recorded) return Err(absl::OkStatus());
      return Err(writer.Clear(call.key));
    default: {
      CommitResult result;
      if (recorded) {
        result = *std::move(recorded);
      } else {
        absl::StatusOr<CommitResult> c = writer.Commit(call.batch);
        if (!c.ok()) return Err(c.status());
        result = *std::move(c);
      }
      return OkWith([&](Writer& w) { w.Result(result); });
    }
  }
}

}  // namespace cask::engine::ipc
