#include "dump.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cask::dump {
namespace {

constexpr char kMagic[8] = {'C', 'A', 'S', 'K', 'D', 'U', 'M', 'P'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kFrameTarget = 1 << 20;
// A frame holds whole records, so one huge value makes one huge frame; cap
// what a reader will allocate on the word of a (possibly corrupt) header.
constexpr std::uint32_t kMaxFrameBytes = 0xFFFFFFF0u;
constexpr unsigned char kItem = 1, kEnd = 2;

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    unsigned char b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool GetBytes(std::string_view& in, std::string& out) {
  std::uint64_t n;
  if (!GetVarint(in, n) || n > in.size()) return false;
  out.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}

template <typename T>
void PutLe(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

template <typename T>
T GetLe(const unsigned char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

absl::Status WriteAll(std::FILE* f, std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write dump: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Reads exactly n bytes; false on EOF before them.
bool ReadExactly(std::FILE* f, void* buf, std::size_t n) {
  return std::fread(buf, 1, n, f) == n;
}

absl::Status Truncated(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("dump is truncated or corrupt: ",
                   absl::string_view(what.data(), what.size())));
}

}  // namespace

absl::StatusOr<DumpWriter> DumpWriter::Open(std::FILE* out) {
  std::string header(kMagic, sizeof kMagic);
  PutLe<std::uint32_t>(header, kVersion);
  if (absl::Status s = WriteAll(out, header); !s.ok()) return s;
  DumpWriter w(out);
  w.totals_.stream_bytes = header.size();
  return w;
}

absl::Status DumpWriter::Add(const Record& r) {
  pending_.push_back(static_cast<char>(kItem));
  PutVarint(pending_, r.key.size());
  pending_.append(r.key);
  PutVarint(pending_, r.value.size());
  pending_.append(r.value);
  PutVarint(pending_, r.expires ? static_cast<std::uint64_t>(
                                      absl::ToUnixMillis(*r.expires))
                                : 0);
  ++totals_.items;
  totals_.value_bytes += r.value.size();
  if (pending_.size() >= kFrameTarget) return FlushFrame();
  return absl::OkStatus();
}

absl::Status DumpWriter::Finish() {
  pending_.push_back(static_cast<char>(kEnd));
  PutVarint(pending_, totals_.items);
  PutVarint(pending_, totals_.value_bytes);
  if (absl::Status s = FlushFrame(); !s.ok()) return s;
  if (std::fflush(out_) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write dump: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status DumpWriter::FlushFrame() {
  if (pending_.empty()) return absl::OkStatus();
  if (pending_.size() > kMaxFrameBytes) {
    return absl::ResourceExhaustedError("a single dump record exceeds 4 GiB");
  }
  // zstd's own content checksum guards the decoded bytes; the frame
  // header's XXH3 guards every compressed byte, so any corruption of the
  // stream is caught, even one that would still decode.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string compressed(ZSTD_compressBound(pending_.size()), '\0');
  std::size_t n = ZSTD_compress2(cctx, compressed.data(), compressed.size(),
                                 pending_.data(), pending_.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) {
    return absl::InternalError(
        absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  compressed.resize(n);
  std::string header;
  PutLe<std::uint32_t>(header, static_cast<std::uint32_t>(n));
  PutLe<std::uint32_t>(header, static_cast<std::uint32_t>(pending_.size()));
  PutLe<std::uint64_t>(header,
                       XXH3_64bits(compressed.data(), compressed.size()));
  if (absl::Status s = WriteAll(out_, header); !s.ok()) return s;
  if (absl::Status s = WriteAll(out_, compressed); !s.ok()) return s;
  totals_.stream_bytes += header.size() + compressed.size();
  pending_.clear();
  return absl::OkStatus();
}

absl::StatusOr<DumpReader> DumpReader::Open(std::FILE* in) {
  unsigned char header[12];
  if (!ReadExactly(in, header, sizeof header) ||
      std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    return absl::InvalidArgumentError("input is not a cask dump (bad magic)");
  }
  std::uint32_t version = GetLe<std::uint32_t>(header + 8);
  if (version != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported cask dump version ", version));
  }
  DumpReader r(in);
  r.totals_.stream_bytes = sizeof header;
  return r;
}

absl::Status DumpReader::ReadFrame() {
  unsigned char header[16];
  if (!ReadExactly(in_, header, sizeof header)) {
    return Truncated("stream ends before the end record");
  }
  std::uint32_t compressed_size = GetLe<std::uint32_t>(header);
  std::uint32_t raw_size = GetLe<std::uint32_t>(header + 4);
  std::uint64_t checksum = GetLe<std::uint64_t>(header + 8);
  if (compressed_size > ZSTD_compressBound(kMaxFrameBytes) ||
      raw_size > kMaxFrameBytes) {
    return Truncated("frame header has impossible sizes");
  }
  // Read in bounded chunks, so a corrupt size cannot make us allocate
  // gigabytes before the stream runs out.
  std::string compressed;
  while (compressed.size() < compressed_size) {
    std::size_t chunk =
        std::min<std::size_t>(compressed_size - compressed.size(), 1 << 20);
    std::size_t old_size = compressed.size();
    compressed.resize(old_size + chunk);
    if (!ReadExactly(in_, compressed.data() + old_size, chunk)) {
      return Truncated("stream ends inside a frame");
    }
  }
  if (XXH3_64bits(compressed.data(), compressed.size()) != checksum) {
    return Truncated("frame checksum mismatch");
  }
  unsigned long long content_size =
      ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (content_size != raw_size) {
    return Truncated("frame sizes disagree");
  }
  frame_.assign(raw_size, '\0');
  std::size_t n = ZSTD_decompress(frame_.data(), frame_.size(),
                                  compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != raw_size) {
    return Truncated("frame does not decompress");
  }
  totals_.stream_bytes += sizeof header + compressed_size;
  pos_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Record>> DumpReader::Next() {
  if (ended_) return std::nullopt;
  if (pos_ >= frame_.size()) {
    if (absl::Status s = ReadFrame(); !s.ok()) return s;
  }
  std::string_view in(frame_.data() + pos_, frame_.size() - pos_);
  if (in.empty()) return Truncated("empty frame");
  std::size_t before = in.size();
  unsigned char kind = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  if (kind == kEnd) {
    std::uint64_t items, bytes;
    if (!GetVarint(in, items) || !GetVarint(in, bytes) || !in.empty()) {
      return Truncated("bad end record");
    }
    if (items != totals_.items || bytes != totals_.value_bytes) {
      return Truncated("end record counts disagree with the items read");
    }
    if (std::fgetc(in_) != EOF) return Truncated("data after the end record");
    ended_ = true;
    return std::nullopt;
  }
  Record r;
  std::uint64_t expires_ms;
  if (kind != kItem || !GetBytes(in, r.key) || !GetBytes(in, r.value) ||
      !GetVarint(in, expires_ms)) {
    return Truncated("bad item record");
  }
  if (expires_ms)
    r.expires = absl::FromUnixMillis(static_cast<std::int64_t>(expires_ms));
  pos_ += before - in.size();
  ++totals_.items;
  totals_.value_bytes += r.value.size();
  return std::optional<Record>(std::move(r));
}

}  // namespace cask::dump
