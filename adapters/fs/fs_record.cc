#include "fs_record.h"

#include "absl/strings/str_cat.h"
#include "fs_errors.h"

namespace cask::fs_internal {
namespace {

void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::uint64_t GetU64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return v;
}

}  // namespace

std::string EncodeHeader(const RecordHeader& header) {
  std::string out(kRecordMagic);
  PutU64(out, header.revision);
  PutU64(out, static_cast<std::uint64_t>(header.mtime_ns));
  PutU64(out, static_cast<std::uint64_t>(header.expires_ns));
  PutU64(out, header.value_size);
  return out;
}

absl::StatusOr<RecordHeader> DecodeHeader(std::string_view bytes,
                                          std::uint64_t file_size,
                                          std::string_view path) {
  if (bytes.size() < kHeaderBytes || file_size < kHeaderBytes) {
    return CorruptFileError(path, "shorter than its header");
  }
  if (bytes.substr(0, kRecordMagic.size()) != kRecordMagic) {
    return CorruptFileError(path, "bad magic");
  }
  RecordHeader h;
  h.revision = GetU64(bytes.substr(8));
  h.mtime_ns = static_cast<std::int64_t>(GetU64(bytes.substr(16)));
  h.expires_ns = static_cast<std::int64_t>(GetU64(bytes.substr(24)));
  h.value_size = GetU64(bytes.substr(32));
  if (h.revision == 0) return CorruptFileError(path, "revision 0");
  if (file_size - kHeaderBytes != h.value_size) {
    return CorruptFileError(path, absl::StrCat("header says ", h.value_size,
                                               " value bytes, file has ",
                                               file_size - kHeaderBytes));
  }
  return h;
}

}  // namespace cask::fs_internal
