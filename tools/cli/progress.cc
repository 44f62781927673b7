#include "progress.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace cask::cli {
namespace {

std::string Clock(double seconds) {
  auto s = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

std::string FormatProgress(const ProgressSnapshot& s) {
  double seconds = absl::ToDoubleSeconds(s.elapsed);
  double mib = static_cast<double>(s.bytes) / (1 << 20);
  std::string line =
      absl::StrFormat("%s %.1f MiB, %d keys, %.1f MiB/s", s.verb, mib, s.keys,
                      seconds > 0 ? mib / seconds : 0.0);
  if (s.fraction) {
    double f = std::clamp(*s.fraction, 0.0, 1.0);
    absl::StrAppendFormat(&line, ", %d%%", static_cast<int>(f * 100));
    // The rate so far, applied to what is left; unknown until 1% is done.
    if (f >= 0.01 && f < 1.0) {
      absl::StrAppend(&line, ", ETA ", Clock(seconds * (1 - f) / f));
    }
  }
  return line;
}

Progress::Progress(std::string_view verb, std::FILE* tty)
    : tty_(tty),
      enabled_(tty != nullptr && isatty(fileno(tty))),
      verb_(verb),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

void Progress::ExpectKeys(std::uint64_t total_keys) {
  total_keys_ = total_keys;
}

void Progress::ExpectInput(std::FILE* in) {
  struct stat st;
  if (in == nullptr || fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
    return;
  }
  long pos = std::ftell(in);
  if (pos < 0 || st.st_size <= pos) return;
  input_ = in;
  input_start_ = pos;
  input_size_ = st.st_size - pos;
}

std::optional<double> Progress::Fraction(std::uint64_t keys) const {
  if (input_ != nullptr) {
    long pos = std::ftell(input_);
    if (pos < 0) return std::nullopt;
    return static_cast<double>(pos - input_start_) /
           static_cast<double>(input_size_);
  }
  if (total_keys_ > 0) {
    return static_cast<double>(keys) / static_cast<double>(total_keys_);
  }
  return std::nullopt;
}

void Progress::Update(std::uint64_t bytes, std::uint64_t keys) {
  if (!enabled_) return;
  absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(200)) return;
  last_draw_ = now;
  Draw(bytes, keys, /*final=*/false);
}

void Progress::Finish(std::uint64_t bytes, std::uint64_t keys) {
  if (!enabled_) return;
  Draw(bytes, keys, /*final=*/true);
}

void Progress::Draw(std::uint64_t bytes, std::uint64_t keys, bool final) {
  ProgressSnapshot s{verb_, bytes, keys, absl::Now() - start_, std::nullopt};
  if (!final) s.fraction = Fraction(keys);
  // "\r" redraws in place; "\033[K" clears what a longer line left.
  std::fprintf(tty_, "\r%s\033[K%s", FormatProgress(s).c_str(),
               final ? "\n" : "");
  std::fflush(tty_);
}

}  // namespace cask::cli
