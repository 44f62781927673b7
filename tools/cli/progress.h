// A one-line progress meter on stderr (bytes, keys, rate), shown only
// when stderr is a terminal so scripts and logs stay clean.
#ifndef CASK_TOOLS_CLI_PROGRESS_H_
#define CASK_TOOLS_CLI_PROGRESS_H_

#include <cstdint>
#include <string_view>

#include "absl/time/time.h"

namespace cask::cli {

class Progress {
 public:
  explicit Progress(std::string_view verb);
  // Redraws at most every 200 ms.
  void Update(std::uint64_t bytes, std::uint64_t keys);
  // Final line with totals; prints nothing when not on a terminal.
  void Finish(std::uint64_t bytes, std::uint64_t keys);

 private:
  void Draw(std::uint64_t bytes, std::uint64_t keys);
  const bool enabled_;
  const std::string_view verb_;
  const absl::Time start_;
  absl::Time last_draw_;
};

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_PROGRESS_H_
