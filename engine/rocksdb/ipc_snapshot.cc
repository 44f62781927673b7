// SharedEngine's snapshots and reads at a past revision. The owner answers
// from its engine; a client process asks the owner to pin a snapshot for it
// (ipc_pinned_snapshots.h) and reads through the pin's id.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "ipc_shared_engine.h"

namespace cask::engine::ipc {
namespace {

absl::Status BadReply() {
  return absl::InternalError("cask ipc: malformed reply from the owner");
}

absl::StatusOr<Item> DecodeItem(const absl::StatusOr<std::string>& out) {
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  Item item;
  item.value = r.Str();
  item.meta = r.MetaOf();
  if (!r.done()) return BadReply();
  return item;
}

}  // namespace

// A snapshot pinned in the owner; released there when this is destroyed.
class SharedEngine::ClientSnapshot final : public Snapshot {
 public:
  ClientSnapshot(SharedEngine* engine, std::uint64_t id, std::uint64_t revision)
      : engine_(engine), id_(id), revision_(revision) {}
  ~ClientSnapshot() override {
    Writer w;
    w.U64(id_);
    // Best effort: an owner that is gone took the pin with it.
    (void)engine_->Roundtrip(Type::kSnapshotRelease, w.out(), false);
  }

  std::uint64_t revision() const override { return revision_; }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    Writer w;
    w.U64(id_);
    w.Str(key);
    return DecodeItem(engine_->Roundtrip(Type::kSnapshotGet, w.out(), false));
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    return engine_->ForwardScan(id_, base, options);
  }

 private:
  SharedEngine* const engine_;
  const std::uint64_t id_;
  const std::uint64_t revision_;
};

absl::StatusOr<std::unique_ptr<Snapshot>> SharedEngine::DoOpenSnapshot() {
  if (local_ != nullptr) return local_->DoOpenSnapshot();
  Writer w;
  w.U32(static_cast<std::uint32_t>(getpid()));
  absl::StatusOr<std::string> out =
      Roundtrip(Type::kSnapshotOpen, w.out(), false);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  const std::uint64_t id = r.U64();
  const std::uint64_t revision = r.U64();
  if (!r.done() || id == 0) return BadReply();
  return std::unique_ptr<Snapshot>(
      std::make_unique<ClientSnapshot>(this, id, revision));
}

absl::StatusOr<Item> SharedEngine::DoGetAt(const std::string& key,
                                           std::uint64_t revision) {
  if (local_ != nullptr) return local_->DoGetAt(key, revision);
  Writer w;
  w.Str(key);
  w.U64(revision);
  return DecodeItem(Roundtrip(Type::kGetAt, w.out(), false));
}

}  // namespace cask::engine::ipc
