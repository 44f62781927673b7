#include "exit_codes.h"

namespace cask::cli {

ExitCode ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kAborted:
      return kExitCasMismatch;
    case absl::StatusCode::kUnimplemented:
      return kExitCasUnsupported;
    case absl::StatusCode::kUnavailable:
      return kExitUnavailable;
    default:
      return kExitOther;
  }
}

}  // namespace cask::cli
