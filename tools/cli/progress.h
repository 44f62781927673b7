// One progress line for every long CLI command (export, import, sync):
// bytes, keys, rate and, when the total is known, percent done and ETA.
// Drawn on stderr only when stderr is a terminal, so scripts, pipes and logs
// stay clean; redrawn at most every 200 ms.
//
// Thread safety: one thread at a time.
#ifndef CASK_TOOLS_CLI_PROGRESS_H_
#define CASK_TOOLS_CLI_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace cask::cli {

// What one progress line shows.
struct ProgressSnapshot {
  std::string_view verb;  // "exported", "imported", "pushed", ...
  std::uint64_t bytes = 0;
  std::uint64_t keys = 0;
  absl::Duration elapsed;
  std::optional<double> fraction;  // 0..1 when the total is known
};

// "imported 12.0 MiB, 4567 keys, 3.0 MiB/s, 45%, ETA 0:12". Pure, for tests.
std::string FormatProgress(const ProgressSnapshot& s);

class Progress {
 public:
  // Draws on `tty` (default stderr) only if it is a terminal.
  explicit Progress(std::string_view verb, std::FILE* tty = stderr);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The total is `total_keys` keys (ETA from keys done).
  void ExpectKeys(std::uint64_t total_keys);
  // The total is what remains of `in`, when it is a regular file (ETA from
  // its read position); otherwise no total.
  void ExpectInput(std::FILE* in);

  // Redraws at most every 200 ms.
  void Update(std::uint64_t bytes, std::uint64_t keys);
  // The final line with totals; nothing when not on a terminal.
  void Finish(std::uint64_t bytes, std::uint64_t keys);

  bool enabled() const { return enabled_; }

 private:
  std::optional<double> Fraction(std::uint64_t keys) const;
  void Draw(std::uint64_t bytes, std::uint64_t keys, bool final);

  std::FILE* const tty_;
  const bool enabled_;
  const std::string verb_;
  const absl::Time start_;
  absl::Time last_draw_;
  std::uint64_t total_keys_ = 0;  // 0: unknown
  std::FILE* input_ = nullptr;    // with input_start_ / input_size_
  std::int64_t input_start_ = 0;
  std::int64_t input_size_ = 0;
};

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_PROGRESS_H_
