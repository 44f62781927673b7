// The fs store's value file: a fixed 40-byte header followed by the value.
//
//   offset  size  field
//        0     8  magic "caskfs1\n"
//        8     8  revision: the store-wide counter value of the write
//                 (the etag is "<revision hex>.<store id>")
//       16     8  mtime, nanoseconds since the Unix epoch
//       24     8  expiry, nanoseconds since the Unix epoch; 0 = never
//       32     8  value size in bytes
// All integers little-endian. A file whose size is not 40 + value size, or
// whose magic differs, is reported as kDataLoss. The header is read with
// the value from one open file, so meta and value always agree.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_FS_FS_RECORD_H_
#define CASK_ADAPTERS_FS_FS_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cask::fs_internal {

inline constexpr std::size_t kHeaderBytes = 40;
inline constexpr std::string_view kRecordMagic = "caskfs1\n";

struct RecordHeader {
  std::uint64_t revision = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t expires_ns = 0;  // 0: never expires
  std::uint64_t value_size = 0;
};

std::string EncodeHeader(const RecordHeader& header);

// Parses the first kHeaderBytes of a file of `file_size` bytes at `path`
// (for messages). kDataLoss when it is not a complete cask value file.
absl::StatusOr<RecordHeader> DecodeHeader(std::string_view bytes,
                                          std::uint64_t file_size,
                                          std::string_view path);

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_RECORD_H_
