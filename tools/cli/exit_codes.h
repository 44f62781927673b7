// The cask CLI's exit codes (docs/errors.md): one per outcome a script
// wants to branch on.
#ifndef CASK_TOOLS_CLI_EXIT_CODES_H_
#define CASK_TOOLS_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace cask::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,
  kExitUsage = 2,           // usage error or invalid input (kInvalidArgument)
  kExitCasMismatch = 3,     // kAborted
  kExitCasUnsupported = 4,  // kUnimplemented
  kExitUnavailable = 5,     // kUnavailable
  kExitOther = 6,           // anything else
};

ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_EXIT_CODES_H_
