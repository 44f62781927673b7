// libFuzzer target: the CLI's commit input parser (tools/cli/
// batch_parser.h). Whatever it accepts is a batch of well-formed
// operations; a rejection names a line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "batch_parser.h"
#include "cask/batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cask::Batch> batch = cask::cli::ParseBatch(text);
  if (!batch.ok()) {
    if (batch.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
    // Messages stay short however long the input is (at most two quoted
    // items of 128 bytes, each byte at most 4 characters).
    if (batch.status().message().size() > 1536) std::abort();
    return 0;
  }
  for (const cask::BatchOp& op : batch->ops()) {
    if (op.kind != cask::BatchOpKind::kPut && !op.value.empty()) std::abort();
  }
  return 0;
}
