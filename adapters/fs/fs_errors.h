// The one place where the fs store turns errno values into cask status
// codes (docs/errors.md).
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_FS_FS_ERRORS_H_
#define CASK_ADAPTERS_FS_FS_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cask::fs_internal {

// A status for system call `op` failing with `err` on `path` (relative to
// the store root, or absolute). The message names the operation, the path
// and strerror(err):
//   ENOSPC, EDQUOT, EFBIG, EMFILE, ENFILE, ENOMEM  kResourceExhausted
//   EACCES, EPERM, EROFS                          kPermissionDenied
//   ENOENT, ENOTDIR                               kNotFound
//   ENAMETOOLONG, EINVAL                          kInvalidArgument
//   EIO                                           kDataLoss
//   EAGAIN, EINTR, EBUSY, ENOLCK, EDEADLK        kUnavailable
//   anything else                                 kInternal
absl::Status ErrnoError(std::string_view op, std::string_view path, int err);

// A value file that cask did not write or that is damaged: kDataLoss.
absl::Status CorruptFileError(std::string_view path, std::string_view why);

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_ERRORS_H_
