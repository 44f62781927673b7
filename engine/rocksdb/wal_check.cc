#include "wal_check.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cask::engine {
namespace {

constexpr std::size_t kBlockSize = 32768;
constexpr std::size_t kHeaderSize = 7;
constexpr std::size_t kRecyclableHeaderSize = 11;
// Record types: full, first, middle, last; their recyclable forms (5-8);
// the compression-type and timestamp-size records (9, 10) and theirs.
constexpr std::uint8_t kMaxRecordType = 12;
constexpr std::uint32_t kMaskDelta = 0xa282ead8u;

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), byte at a time.
const std::array<std::uint32_t, 256>& Crc32cTable() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

std::uint32_t Crc32cExtend(std::uint32_t crc, const char* data, std::size_t n) {
  const auto& t = Crc32cTable();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc = t[(crc ^ static_cast<std::uint8_t>(data[i])) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

std::uint32_t Fixed32(const char* p) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[0])) |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[3])) << 24;
}

bool IsRecyclable(std::uint8_t type) {
  return (type >= 5 && type <= 8) || type == 11 || type == 12;
}

enum class Record { kValid, kZero, kBad };

// The record whose header starts at `pos` (which leaves at least a header
// in its block); `*next` receives the offset after it when valid.
Record ReadRecord(std::string_view b, std::size_t pos, std::size_t* next) {
  const std::size_t block_end =
      std::min(b.size(), (pos / kBlockSize + 1) * kBlockSize);
  if (block_end - pos < kHeaderSize) return Record::kBad;
  const char* h = b.data() + pos;
  const std::uint8_t type = static_cast<std::uint8_t>(h[6]);
  const std::size_t length =
      static_cast<std::uint8_t>(h[4]) |
      static_cast<std::size_t>(static_cast<std::uint8_t>(h[5])) << 8;
  if (type == 0 && length == 0) return Record::kZero;  // preallocation
  if (type == 0 || type > kMaxRecordType) return Record::kBad;
  const std::size_t header =
      IsRecyclable(type) ? kRecyclableHeaderSize : kHeaderSize;
  if (pos + header + length > block_end) return Record::kBad;
  // The checksum covers the type byte, the log number of a recyclable
  // record, and the payload.
  std::uint32_t crc = Crc32cExtend(0, h + 6, header - 6 + length);
  std::uint32_t masked = ((crc >> 15) | (crc << 17)) + kMaskDelta;
  if (masked != Fixed32(h)) return Record::kBad;
  *next = pos + header + length;
  return Record::kValid;
}

// True when a valid record starts after `from`: anywhere in its block
// (the damaged header's length cannot be trusted to find the next one), or
// at the start of a later block (each block starts with a header).
bool ValidRecordAfter(std::string_view b, std::size_t from) {
  std::size_t ignored = 0;
  const std::size_t block_end = (from / kBlockSize + 1) * kBlockSize;
  for (std::size_t pos = from + 1;
       pos < block_end && pos + kHeaderSize <= b.size(); ++pos) {
    if (ReadRecord(b, pos, &ignored) == Record::kValid) return true;
  }
  for (std::size_t pos = block_end; pos + kHeaderSize <= b.size();
       pos += kBlockSize) {
    if (ReadRecord(b, pos, &ignored) == Record::kValid) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckWal(std::string_view b, std::string_view name) {
  std::size_t pos = 0;
  while (pos < b.size()) {
    const std::size_t left_in_block = kBlockSize - pos % kBlockSize;
    if (left_in_block < kHeaderSize) {  // trailer padding
      pos += left_in_block;
      continue;
    }
    if (b.size() - pos < kHeaderSize) return absl::OkStatus();  // torn
    std::size_t next = 0;
    switch (ReadRecord(b, pos, &next)) {
      case Record::kValid:
        pos = next;
        break;
      case Record::kZero:
        pos += left_in_block;  // nothing more was written in this block
        break;
      case Record::kBad:
        if (!ValidRecordAfter(b, pos)) return absl::OkStatus();  // torn
        return absl::DataLossError(absl::StrCat(
            "cask engine: write-ahead log ", std::string(name),
            " is damaged at offset ", pos,
            " and holds records after the damage (nothing was changed; "
            "`cask repair` salvages what is left)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckWals(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".log") || !entry.is_regular_file(ec)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (absl::Status s = CheckWal(bytes, entry.path().string()); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace cask::engine
