// libFuzzer target: the dump reader (tools/dump/dump.h), fed through a
// FILE*. The first byte picks the mode:
//   even  raw: the rest is the whole stream;
//   odd   framed: the rest is the raw record bytes of one frame, which the
//         harness compresses and checksums behind a valid header, so the
//         fuzzer reaches the record parsing behind the checksum.
// Reading stops at the first error; totals never exceed the stream.
#include <stdio.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dump.h"

namespace {

void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

std::string Framed(const std::string& raw) {
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  std::size_t n = ZSTD_compress(compressed.data(), compressed.size(),
                                raw.data(), raw.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  compressed.resize(n);
  std::string out = "CASKDUMP";
  PutLe(out, 1, 4);
  PutLe(out, compressed.size(), 4);
  PutLe(out, raw.size(), 4);
  PutLe(out, XXH3_64bits(compressed.data(), compressed.size()), 8);
  return out + compressed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 1) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string stream = data[0] % 2 == 0 ? rest : Framed(rest);
  if (stream.empty()) return 0;
  FILE* in = fmemopen(stream.data(), stream.size(), "rb");
  if (in == nullptr) std::abort();
  absl::StatusOr<cask::dump::DumpReader> reader =
      cask::dump::DumpReader::Open(in);
  if (reader.ok()) {
    std::uint64_t bytes = 0;
    while (true) {
      absl::StatusOr<std::optional<cask::dump::Record>> r = reader->Next();
      if (!r.ok() || !r->has_value()) break;
      bytes += (*r)->key.size() + (*r)->value.size();
    }
    // Nothing read is invented: every item came out of the stream's frames.
    if (reader->totals().value_bytes > bytes) std::abort();
  }
  fclose(in);
  return 0;
}
