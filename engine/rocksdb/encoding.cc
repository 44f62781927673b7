#include "encoding.h"

#include <cassert>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace cask::engine {
namespace {

constexpr char kMetaFormat = 1;  // low bit: value out of line
constexpr std::size_t kLogFixedBytes = 8 + 1 + 8 + 8 + 4;

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "cask engine: corrupted ", absl::string_view(what.data(), what.size())));
}

void StoreFixed64(char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace

void PutFixed64(std::string* out, std::uint64_t v) {
  char buf[8];
  StoreFixed64(buf, v);
  out->append(buf, 8);
}

std::uint64_t DecodeFixed64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

std::string EncodeFixed64(std::uint64_t v) {
  std::string out;
  PutFixed64(&out, v);
  return out;
}

std::array<char, kMetaHeaderBytes> EncodeMetaHeader(const MetaRecord& meta) {
  std::array<char, kMetaHeaderBytes> out;
  out[0] = static_cast<char>((kMetaFormat << 1) | (meta.out_of_line ? 1 : 0));
  StoreFixed64(&out[1], meta.revision);
  StoreFixed64(&out[9], static_cast<std::uint64_t>(meta.mtime_micros));
  StoreFixed64(&out[17], static_cast<std::uint64_t>(meta.expires_micros));
  StoreFixed64(&out[25], meta.size);
  return out;
}

absl::StatusOr<MetaRecord> DecodeMeta(std::string_view bytes,
                                      std::string_view* inline_value) {
  if (bytes.size() < kMetaHeaderBytes ||
      (static_cast<unsigned char>(bytes[0]) >> 1) != kMetaFormat) {
    return Malformed("metadata record");
  }
  MetaRecord meta;
  meta.out_of_line = (bytes[0] & 1) != 0;
  const char* p = bytes.data() + 1;
  meta.revision = DecodeFixed64(p);
  meta.mtime_micros = static_cast<std::int64_t>(DecodeFixed64(p + 8));
  meta.expires_micros = static_cast<std::int64_t>(DecodeFixed64(p + 16));
  meta.size = DecodeFixed64(p + 24);
  std::string_view rest = bytes.substr(kMetaHeaderBytes);
  if (meta.out_of_line ? !rest.empty() : rest.size() != meta.size) {
    return Malformed("metadata record (size)");
  }
  if (inline_value != nullptr) *inline_value = rest;
  return meta;
}

EtagText::EtagText(std::uint64_t revision, std::string_view store_id) {
  assert(store_id.size() <= kStoreIdBytes);
  char* end = std::to_chars(buf_, buf_ + 20, revision).ptr;
  *end++ = '.';
  std::memcpy(end, store_id.data(), store_id.size());
  size_ = static_cast<std::size_t>(end - buf_) + store_id.size();
}

std::string MakeEtag(std::uint64_t revision, std::string_view store_id) {
  return EtagText(revision, store_id).str();
}

Meta ToMeta(const MetaRecord& record, std::string_view store_id) {
  Meta meta;
  FillMeta(record, store_id, &meta);
  return meta;
}

void FillMeta(const MetaRecord& record, std::string_view store_id, Meta* meta) {
  const EtagText etag(record.revision, store_id);
  meta->etag.assign(etag.view());
  meta->mtime = absl::FromUnixMicros(record.mtime_micros);
  meta->size = record.size;
  if (record.expires_micros != 0) {
    meta->expires = absl::FromUnixMicros(record.expires_micros);
  } else {
    meta->expires.reset();
  }
  meta->revision = record.revision;
}

std::string EncodeTtlKey(std::int64_t expires_micros, std::string_view key) {
  std::string out;
  out.reserve(8 + key.size());
  PutFixed64(&out, static_cast<std::uint64_t>(expires_micros));
  out.append(key);
  return out;
}

void EncodeLogRecord(const LogRecordView& r, std::string* out) {
  out->clear();
  out->reserve(kLogFixedBytes + r.key.size() + r.etag.size());
  out->append(8, '\0');  // checksum, filled below
  out->push_back(static_cast<char>(r.kind));
  PutFixed64(out, static_cast<std::uint64_t>(r.time_micros));
  PutFixed64(out, r.size);
  std::uint32_t key_len = static_cast<std::uint32_t>(r.key.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((key_len >> shift) & 0xff));
  }
  out->append(r.key);
  out->append(r.etag);
  // Seeded with the revision, so a record under the wrong key fails too.
  StoreFixed64(out->data(), XXH3_64bits_withSeed(out->data() + 8,
                                                 out->size() - 8, r.revision));
}

absl::StatusOr<LogRecord> DecodeLogRecord(std::string_view key_bytes,
                                          std::string_view value) {
  if (key_bytes.size() != 8) return Malformed("change-log key");
  LogRecord r;
  r.revision = DecodeFixed64(key_bytes.data());
  if (value.size() < kLogFixedBytes) {
    return Malformed(absl::StrCat("change-log record ", r.revision));
  }
  std::uint64_t sum =
      XXH3_64bits_withSeed(value.data() + 8, value.size() - 8, r.revision);
  if (sum != DecodeFixed64(value.data())) {
    return absl::DataLossError(absl::StrCat("cask engine: change-log record ",
                                            r.revision, " fails its checksum"));
  }
  const char* p = value.data() + 8;
  unsigned kind = static_cast<unsigned char>(p[0]);
  if (kind > static_cast<unsigned>(ChangeKind::kClear)) {
    return Malformed(absl::StrCat("change-log record ", r.revision));
  }
  r.kind = static_cast<ChangeKind>(kind);
  r.time_micros = static_cast<std::int64_t>(DecodeFixed64(p + 1));
  r.size = DecodeFixed64(p + 9);
  std::uint32_t key_len = 0;
  for (int i = 0; i < 4; ++i) {
    key_len = (key_len << 8) | static_cast<unsigned char>(p[17 + i]);
  }
  std::string_view rest = value.substr(kLogFixedBytes);
  if (rest.size() < key_len) {
    return Malformed(absl::StrCat("change-log record ", r.revision));
  }
  r.key.assign(rest.substr(0, key_len));
  r.etag.assign(rest.substr(key_len));
  return r;
}

ChangeEvent ToEvent(LogRecord record) {
  ChangeEvent e;
  e.revision = record.revision;
  e.key = std::move(record.key);
  e.kind = record.kind;
  e.etag = std::move(record.etag);
  e.time = absl::FromUnixMicros(record.time_micros);
  e.size = record.size;
  return e;
}

}  // namespace cask::engine
