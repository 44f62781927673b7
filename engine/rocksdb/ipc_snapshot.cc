// SharedEngine's snapshots and reads at a past revision. The owner answers
// from its engine; a client process asks the owner to pin a snapshot for it
// (ipc_pinned_snapshots.h) and reads through the pin's id, on the
// connection that opened it: the pin lives in that connection's session on
// the owner, so a read on any other connection (after a failover or a
// reconnection) answers kOutOfRange without asking.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc_shared_engine.h"

namespace cask::engine::ipc {
namespace {

// The longest a dropped snapshot waits for its release to go out on the
// socket (a pin left behind goes with the connection, which is then
// aborted). It never waits for the owner's answer.
constexpr absl::Duration kReleaseTimeout = absl::Seconds(1);

}  // namespace

// A snapshot pinned in the owner on connection generation `gen`; released
// there when this is destroyed.
class SharedEngine::ClientSnapshot final : public Snapshot {
 public:
  ClientSnapshot(SharedEngine* engine, std::uint64_t gen, std::uint64_t id,
                 std::uint64_t revision)
      : engine_(engine), gen_(gen), id_(id), revision_(revision) {}
  ~ClientSnapshot() override {
    Writer w;
    w.U64(id_);
    // On the pin's connection alone (if it is gone, so is the pin), and
    // posted, not called: the answer tells nothing, and waiting for it
    // made an owner busy for over a second look dead, which dropped the
    // connection and with it every other snapshot of this process.
    const absl::Time now = absl::Now();
    engine_->PostOnGeneration(
        gen_, Type::kSnapshotRelease, w.out(),
        std::min(engine_->CallDeadline(now), now + kReleaseTimeout));
  }

  std::uint64_t revision() const override { return revision_; }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    Writer w;
    w.U64(id_);
    w.Str(key);
    return DecodeItemReply(engine_->CallOnGeneration(
        gen_, Type::kSnapshotGet, w.out(), engine_->CallDeadline(absl::Now())));
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    return ScanAnswer(engine_->CallOnGeneration(
                          gen_, Type::kScan, ScanRequest(id_, base, options),
                          engine_->CallDeadline(absl::Now())),
                      options);
  }

 private:
  SharedEngine* const engine_;
  const std::uint64_t gen_;
  const std::uint64_t id_;
  const std::uint64_t revision_;
};

absl::StatusOr<std::unique_ptr<Snapshot>> SharedEngine::DoOpenSnapshot() {
  if (local_ != nullptr) return local_->DoOpenSnapshot();
  // Retried across failovers like a read: a pin made on a connection that
  // dropped before its answer went with that connection.
  std::uint64_t gen = 0;
  absl::StatusOr<std::string> out =
      Roundtrip(Type::kSnapshotOpen, "", false, &gen);
  if (!out.ok()) return out.status();
  Reader r(*out);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  const std::uint64_t id = r.U64();
  const std::uint64_t revision = r.U64();
  if (!r.done() || id == 0) return MalformedReply();
  return std::unique_ptr<Snapshot>(
      std::make_unique<ClientSnapshot>(this, gen, id, revision));
}

absl::StatusOr<Item> SharedEngine::DoGetAt(const std::string& key,
                                           std::uint64_t revision) {
  if (local_ != nullptr) return local_->DoGetAt(key, revision);
  Writer w;
  w.Str(key);
  w.U64(revision);
  return DecodeItemReply(Roundtrip(Type::kGetAt, w.out(), false));
}

}  // namespace cask::engine::ipc
