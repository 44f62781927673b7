#define CATCH_CONFIG_RUNNER
#include <cstdio>
#include <optional>

#include "catch2/catch.hpp"
#include "target.h"

namespace cask::conformance {
namespace {
std::optional<Target>& Current() {
  static std::optional<Target> target;
  return target;
}
}  // namespace

const Target& CurrentTarget() { return *Current(); }

int RunConformance(int argc, char** argv, Target target) {
  std::fprintf(stderr, "cask conformance suite: store \"%s\"\n",
               target.name.c_str());
  Current() = std::move(target);
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (!CurrentTarget().only_tags.empty() &&
      session.configData().testsOrTags.empty()) {
    std::fprintf(stderr, "*** only the blocks %s apply to this store\n",
                 CurrentTarget().only_tags.c_str());
    // Catch2 reads a comma in one spec as "or".
    session.configData().testsOrTags.push_back(CurrentTarget().only_tags);
    session.useConfigData(session.configData());
  }
  return session.run();
}

int SkipConformance(std::string_view name, std::string_view reason) {
  std::fprintf(stderr,
               "\n*** SKIPPED: cask conformance suite for \"%.*s\" did not "
               "run: %.*s ***\n\n",
               static_cast<int>(name.size()), name.data(),
               static_cast<int>(reason.size()), reason.data());
  std::printf("SKIPPED %.*s: %.*s\n", static_cast<int>(name.size()),
              name.data(), static_cast<int>(reason.size()), reason.data());
  return kSkipExitCode;
}

}  // namespace cask::conformance
