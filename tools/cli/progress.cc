#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/time/clock.h"

namespace cask::cli {

Progress::Progress(std::string_view verb)
    : enabled_(isatty(STDERR_FILENO)),
      verb_(verb),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

void Progress::Update(std::uint64_t bytes, std::uint64_t keys) {
  if (!enabled_) return;
  absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(200)) return;
  last_draw_ = now;
  Draw(bytes, keys);
}

void Progress::Finish(std::uint64_t bytes, std::uint64_t keys) {
  if (!enabled_) return;
  Draw(bytes, keys);
  std::fputc('\n', stderr);
}

void Progress::Draw(std::uint64_t bytes, std::uint64_t keys) {
  double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  double mib = static_cast<double>(bytes) / (1 << 20);
  std::fprintf(stderr, "\r%.*s %.1f MiB, %llu keys, %.1f MiB/s   ",
               static_cast<int>(verb_.size()), verb_.data(), mib,
               static_cast<unsigned long long>(keys),
               seconds > 0 ? mib / seconds : 0.0);
}

}  // namespace cask::cli
