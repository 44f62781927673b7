// The cask dump format: moves data between any two stores (cask export /
// cask import), streamed, checksummed, compressed. docs/cli.md describes
// the byte layout.
//
//   header   "CASKDUMP" u32le version(=1)
//   frame*   u32le compressed_size u32le raw_size
//            u64le xxh3_64(compressed) zstd(raw, with zstd's content checksum)
//   raw      record*;  record = u8 kind, then for kind 1 (item):
//            varint key_size, key, varint value_size, value,
//            varint expires_unix_ms (0 = never);
//            for kind 2 (end): varint item_count, varint value_bytes
// The last frame ends with the end record; a dump without it is truncated.
//
// Thread safety: a DumpWriter / DumpReader is used by one thread.
#ifndef CASK_TOOLS_DUMP_DUMP_H_
#define CASK_TOOLS_DUMP_DUMP_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cask::dump {

struct Record {
  std::string key;
  std::string value;
  std::optional<absl::Time> expires;
};

struct Totals {
  std::uint64_t items = 0;
  std::uint64_t value_bytes = 0;
  std::uint64_t stream_bytes = 0;  // bytes written or read, compressed
};

class DumpWriter {
 public:
  // Writes the header to `out` (not owned). kUnavailable on I/O error.
  static absl::StatusOr<DumpWriter> Open(std::FILE* out);
  // Appends one item; flushes a frame once ~1 MiB of records collected.
  absl::Status Add(const Record& record);
  // Writes the end record and flushes. Must be called once, last.
  absl::Status Finish();
  const Totals& totals() const { return totals_; }

 private:
  explicit DumpWriter(std::FILE* out) : out_(out) {}
  absl::Status FlushFrame();
  std::FILE* out_;
  std::string pending_;
  Totals totals_;
};

class DumpReader {
 public:
  // Reads and checks the header. kInvalidArgument if `in` is no dump.
  static absl::StatusOr<DumpReader> Open(std::FILE* in);
  // The next item, or nullopt after the end record (the whole dump was
  // read and verified). kDataLoss for a checksum mismatch, a truncated
  // stream, or an end record whose counts disagree.
  absl::StatusOr<std::optional<Record>> Next();
  const Totals& totals() const { return totals_; }

 private:
  explicit DumpReader(std::FILE* in) : in_(in) {}
  absl::Status ReadFrame();
  std::FILE* in_;
  std::string frame_;
  std::size_t pos_ = 0;
  bool ended_ = false;
  Totals totals_;
};

}  // namespace cask::dump

#endif  // CASK_TOOLS_DUMP_DUMP_H_
