// lin_check: checks a kept history file (one encoded operation per line, as
// the history tests write them on failure) and prints the verdict.
//
//   lin_check [--etags-may-repeat] [--max-steps N] FILE
//
// Exit code: 0 linearizable, 1 not linearizable, 2 budget exhausted,
// 3 unreadable or malformed history.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "checker.h"
#include "history.h"

int main(int argc, char** argv) {
  cask::lin::CheckOptions options;
  options.timeout = absl::InfiniteDuration();
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--etags-may-repeat") {
      options.etags_unique = false;
    } else if (arg == "--max-steps" && i + 1 < argc &&
               absl::SimpleAtoi(argv[i + 1], &options.max_steps)) {
      ++i;
    } else if (path.empty() && !arg.empty() && arg[0] != '-') {
      path = arg;
    } else {
      std::fprintf(stderr,
                   "usage: lin_check [--etags-may-repeat] [--max-steps N] "
                   "FILE\n");
      return 3;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "lin_check: no history file given\n");
    return 3;
  }
  absl::StatusOr<cask::lin::History> history = cask::lin::ReadHistoryFile(path);
  if (!history.ok()) {
    std::fprintf(stderr, "lin_check: %s\n",
                 history.status().ToString().c_str());
    return 3;
  }
  absl::StatusOr<cask::lin::CheckResult> result =
      cask::lin::CheckHistory(*history, options);
  if (!result.ok()) {
    std::fprintf(stderr, "lin_check: %s\n", result.status().ToString().c_str());
    return 3;
  }
  std::printf("%s: %zu operations, %zu partitions, %llu search steps\n%s",
              std::string(cask::lin::VerdictName(result->verdict)).c_str(),
              history->size(), result->partitions,
              static_cast<unsigned long long>(result->steps),
              result->explanation.c_str());
  switch (result->verdict) {
    case cask::lin::Verdict::kLinearizable:
      return 0;
    case cask::lin::Verdict::kIllegal:
      return 1;
    case cask::lin::Verdict::kUnknown:
      return 2;
  }
  return 3;
}
