// libFuzzer target: the engine's record decoders (engine/rocksdb/
// encoding.h): change-log records and meta records. The first byte picks
// the mode:
//   0  raw: the rest is key (8 bytes) + value, decoded as stored;
//   1  as 0, but the record's checksum is fixed up first, so the fuzzer
//      reaches the field parsing behind it;
//   2  meta record.
// Whatever decodes must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "encoding.h"
#include "xxhash.h"

namespace engine = cask::engine;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 1) return 0;
  int mode = data[0] % 3;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode == 2) {
    std::string_view inline_value;
    absl::StatusOr<engine::MetaRecord> meta =
        engine::DecodeMeta(rest, &inline_value);
    if (meta.ok()) {
      const auto header = engine::EncodeMetaHeader(*meta);
      Check(std::string(header.begin(), header.end()) +
                std::string(inline_value) ==
            rest);
    }
    return 0;
  }
  if (rest.size() < 8) return 0;
  std::string key = rest.substr(0, 8);
  std::string value = rest.substr(8);
  if (mode == 1 && value.size() >= 8) {
    std::uint64_t revision = engine::DecodeFixed64(key.data());
    std::uint64_t sum =
        XXH3_64bits_withSeed(value.data() + 8, value.size() - 8, revision);
    value.replace(0, 8, engine::EncodeFixed64(sum));
  }
  absl::StatusOr<engine::LogRecord> record =
      engine::DecodeLogRecord(key, value);
  if (record.ok()) {
    Check(engine::EncodeFixed64(record->revision) == key);
    std::string encoded;
    engine::EncodeLogRecord(record->view(), &encoded);
    Check(encoded == value);
  }
  return 0;
}
