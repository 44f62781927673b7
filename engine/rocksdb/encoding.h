// The engine's on-disk record formats (docs/engine.md describes them).
//
//   meta CF   key -> MetaRecord: flags, revision, mtime, expiry, size and,
//             for small values, the value itself.
//   data CF   key -> fixed64 revision + value, for values stored out of line
//             (blob files); the revision lets a reader check it read the
//             value that matches the metadata it read first.
//   ttl CF    fixed64 expiry micros + key -> fixed64 revision.
//   log CF    fixed64 revision -> LogRecord, XXH3-checksummed.
// Integers are big-endian so that keys sort numerically.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_ROCKSDB_ENCODING_H_
#define CASK_ENGINE_ROCKSDB_ENCODING_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/types.h"

namespace cask::engine {

void PutFixed64(std::string* out, std::uint64_t v);
std::uint64_t DecodeFixed64(const char* p);
std::string EncodeFixed64(std::uint64_t v);

// What the meta column family holds for one key.
struct MetaRecord {
  std::uint64_t revision = 0;
  std::int64_t mtime_micros = 0;    // unix microseconds
  std::int64_t expires_micros = 0;  // unix microseconds; 0: never
  std::uint64_t size = 0;
  bool out_of_line = false;  // value in the data CF, not inline

  bool ExpiredAt(std::int64_t now_micros) const {
    return expires_micros != 0 && expires_micros <= now_micros;
  }
};

inline constexpr std::size_t kMetaHeaderBytes = 1 + 8 * 4;
inline constexpr std::size_t kDataHeaderBytes = 8;
// A store id is 16 hex digits (checked when a store is opened).
inline constexpr std::size_t kStoreIdBytes = 16;

// The fixed part of a meta record; an inline value follows it. Returned by
// value, on the stack: the write path allocates nothing for it.
std::array<char, kMetaHeaderBytes> EncodeMetaHeader(const MetaRecord& meta);
// Parses a meta record; `inline_value` (optional) receives the inline
// value (empty when out of line). kDataLoss when malformed.
absl::StatusOr<MetaRecord> DecodeMeta(std::string_view bytes,
                                      std::string_view* inline_value);

// The public etag of a revision in the store `store_id`,
// "<revision>.<store id>", formatted into the object itself: comparing
// it with a precondition's etags allocates nothing.
// REQUIRES: store_id.size() <= kStoreIdBytes.
class EtagText {
 public:
  EtagText(std::uint64_t revision, std::string_view store_id);
  std::string_view view() const { return std::string_view(buf_, size_); }
  std::string str() const { return std::string(buf_, size_); }

 private:
  char buf_[20 + 1 + kStoreIdBytes];  // 20: digits of the largest uint64
  std::size_t size_ = 0;
};

std::string MakeEtag(std::uint64_t revision, std::string_view store_id);
Meta ToMeta(const MetaRecord& record, std::string_view store_id);
// ToMeta into an existing Meta: the etag is assigned into meta->etag, so
// its buffer is reused (GetInto).
void FillMeta(const MetaRecord& record, std::string_view store_id, Meta* meta);

// ttl CF key for an expiry.
std::string EncodeTtlKey(std::int64_t expires_micros, std::string_view key);

// A change-log record whose key and etag are views: what EncodeLogRecord
// writes, so that the write path copies neither.
struct LogRecordView {
  std::uint64_t revision = 0;
  ChangeKind kind = ChangeKind::kPut;
  std::int64_t time_micros = 0;
  std::uint64_t size = 0;
  std::string_view key;
  std::string_view etag;
};

// One change-log record.
struct LogRecord {
  std::uint64_t revision = 0;
  ChangeKind kind = ChangeKind::kPut;
  std::int64_t time_micros = 0;
  std::uint64_t size = 0;
  std::string key;   // kClear: the cleared base
  std::string etag;  // kPut only

  LogRecordView view() const {
    return LogRecordView{revision, kind, time_micros, size, key, etag};
  }
};

// Replaces *out with the value stored under EncodeFixed64(record.revision);
// reusing one `out` across records saves an allocation per record.
void EncodeLogRecord(const LogRecordView& record, std::string* out);
// Parses and verifies a log record read under `key_bytes`. kDataLoss on a
// checksum mismatch or a malformed record.
absl::StatusOr<LogRecord> DecodeLogRecord(std::string_view key_bytes,
                                          std::string_view value);
ChangeEvent ToEvent(LogRecord record);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_ENCODING_H_
