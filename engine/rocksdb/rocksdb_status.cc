#include "rocksdb_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::engine {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string text = s.ToString();
  std::string msg = absl::StrCat("cask engine: ", ToAbsl(what), ": ", text);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain() ||
      s.IsShutdownInProgress() || s.IsIncomplete() || s.IsTimedOut()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return absl::InvalidArgumentError(msg);
  }
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  return absl::InternalError(msg);
}

}  // namespace cask::engine
