// The binary protocol between a client process and the owner of a store
// (docs/processes.md, "Protocol").
//
// Frame: a 16-byte header, then `length` payload bytes.
//   u32 length (little-endian, <= kMaxPayload)
//   u8  version (kVersion)   u8 type   u16 reserved (0)
//   u64 call id (echoed by the response; many calls may be in flight)
// Integers in payloads are little-endian; strings are u32 length + bytes.
// A header with another version, an unknown type, a reserved field != 0 or
// a length over kMaxPayload gets a kError frame saying why and closes the
// connection (the stream cannot be followed past it). A payload that does
// not parse gets a kError frame with its call id; the connection goes on.
// Either way the request is not executed and the store is not touched.
#ifndef CASK_ENGINE_ROCKSDB_IPC_WIRE_H_
#define CASK_ENGINE_ROCKSDB_IPC_WIRE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/batch.h"
#include "cask/driver.h"
#include "cask/types.h"

namespace cask::engine::ipc {

inline constexpr std::uint8_t kVersion = 2;
inline constexpr std::size_t kHeaderBytes = 16;
inline constexpr std::uint32_t kMaxPayload = 512u << 20;

enum class Type : std::uint8_t {
  kHello = 1,
  kGet = 2,
  kGetMeta = 3,
  kHas = 4,
  kSet = 5,
  kRemove = 6,
  kKeys = 7,
  kClear = 8,
  kCommit = 9,
  kChanges = 10,
  kRevision = 11,
  kMaintenance = 12,
  kCompact = 13,
  kGoodbye = 14,  // a client closes: its outcome records may go
  kScan = 15,
  kAttachRing = 16,       // the owner answers with a ring (ipc_ring.h) attached
  kSnapshotOpen = 17,     // a snapshot the owner pins for the client
  kSnapshotGet = 18,      // a Get at a pinned snapshot
  kSnapshotRelease = 19,  // the client dropped its snapshot
  kGetAt = 20,
  kResponse = 64,  // the answer to any call
  kError = 65,     // a refused request (call id 0: the whole connection)
};
bool IsRequestType(std::uint8_t type);

struct Header {
  std::uint32_t length = 0;
  std::uint8_t version = kVersion;
  std::uint8_t type = 0;
  std::uint16_t reserved = 0;
  std::uint64_t call = 0;
};
std::string EncodeHeader(const Header& h);
Header DecodeHeader(const char* bytes);
// OK, or why the header is refused.
absl::Status CheckHeader(const Header& h, bool from_client);

class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(std::uint32_t v);
  void U64(std::uint64_t v);
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void Str(std::string_view s);
  void OptStr(const std::optional<std::string>& s);
  void Pre(const Precondition& p);
  void MetaOf(const Meta& m);
  void StatusOf(const absl::Status& s);
  void Result(const CommitResult& r);
  void Event(const ChangeEvent& e);
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Parses a payload; any read past the end sets !ok() and returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t U8();
  std::uint32_t U32();
  std::uint64_t U64();
  std::int64_t I64() { return static_cast<std::int64_t>(U64()); }
  std::string Str();
  std::optional<std::string> OptStr();
  Precondition Pre();
  Meta MetaOf();
  absl::Status StatusOf();
  CommitResult Result();
  ChangeEvent Event();
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  bool Need(std::size_t n);
  std::string_view in_;
  bool ok_ = true;
};

// The status of a reply a client cannot decode.
absl::Status MalformedReply();

// A reply of (status, value, meta), as kGet, kSnapshotGet and kGetAt
// answer; `reply` is the round trip's outcome, passed through when not OK.
absl::StatusOr<Item> DecodeItemReply(const absl::StatusOr<std::string>& reply);

// A write request starts with (client id, sequence, settled_below, flags):
// every sequence of that client below settled_below has been answered, so
// its outcome record may be dropped. Sequence 0 means no identity.
struct RequestId {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
};
// Write flags: the write's group must be fsynced (a kDurable client).
inline constexpr std::uint8_t kWriteSync = 1;
// Write flags: the first time this (client, sequence) is sent anywhere, so
// the owner need not look for its outcome record (there can be none).
inline constexpr std::uint8_t kWriteFirstTry = 2;
// Where the flags byte sits in a write request.
inline constexpr std::size_t kWriteFlagsOffset = 24;
bool IsWriteRequest(Type type);
// A write request to send again: the same bytes without kWriteFirstTry.
std::string AsRetry(std::string_view write_payload);
// kGoodbye: (client id, end): the client made sequences [1, end) and has
// none in flight.
// kScan: (u64 snapshot id, 0 = the live store; base, start_after,
// u64 limit, u8 with_values) -> u32 count, count x (key, meta, value),
// next_after. The owner ends a page early once
// it holds kScanPageBytes, so a page of large values stays one frame.
inline constexpr std::size_t kScanPageBytes = 64u << 20;
// kSnapshotOpen: () -> (u64 snapshot id, u64 revision); the pin lives
// until kSnapshotRelease (u64 id) -> status, or until the connection it
// was opened on ends (ipc_pinned_snapshots.h); only that connection can
// name it. kSnapshotGet: (u64 id, key) -> (value, meta). kGetAt: (key, u64
// revision) -> (value, meta).
// Hello's capability flags: 1 cas, 2 atomic_batch, 4 ttl, 8 watch,
// 16 snapshot, 32 get_at.

// Capabilities and identity, the answer to kHello.
struct Hello {
  std::string store_id;
  Capabilities caps;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_WIRE_H_
