// Debian's Abseil is built with its own absl::string_view, distinct from
// std::string_view, which cask's API uses. These two helpers convert at the
// boundary (absl::StrCat, absl::Status messages, absl::Cord...).
//
// Thread safety: pure functions.
#ifndef CASK_STRING_VIEW_COMPAT_H_
#define CASK_STRING_VIEW_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cask {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

inline std::string_view ToStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace cask

#endif  // CASK_STRING_VIEW_COMPAT_H_
