#include "fs_errors.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::fs_internal {

absl::Status ErrnoError(std::string_view op, std::string_view path, int err) {
  std::string message = absl::StrCat("fs store: ", ToAbsl(op), " \"",
                                     ToAbsl(path), "\": ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case ENAMETOOLONG:
    case EINVAL:
      return absl::InvalidArgumentError(message);
    case EIO:
      return absl::DataLossError(message);
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ENOLCK:
    case EDEADLK:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status CorruptFileError(std::string_view path, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("fs store: \"", ToAbsl(path),
                   "\" is not a cask value file: ", ToAbsl(why)));
}

}  // namespace cask::fs_internal
