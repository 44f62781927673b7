#include "object_names.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cask/string_view_compat.h"
#include "object_http.h"
#include "percent_encoding.h"

namespace cask::objstore {

std::string TrimTrailingSlashes(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

ObjectNames::ObjectNames(std::string base_url, std::string_view prefix)
    : base_url_(std::move(base_url)),
      prefix_(prefix.empty() ? "" : absl::StrCat(ToAbsl(prefix), "/")) {}

std::string ObjectNames::NameOf(std::string_view key) const {
  return absl::StrCat(prefix_, absl::StrReplaceAll(ToAbsl(key), {{":", "/"}}));
}

std::string ObjectNames::KeyOf(std::string_view name) const {
  name.remove_prefix(std::min(name.size(), prefix_.size()));
  return absl::StrReplaceAll(ToAbsl(name), {{"/", ":"}});
}

std::string ObjectNames::ListPrefix(std::string_view base) const {
  return base.empty() ? prefix_ : absl::StrCat(NameOf(base), "/");
}

std::string ObjectNames::UrlOf(std::string_view key) const {
  return absl::StrCat(
      base_url_, "/",
      PercentEncode(NameOf(key), KeptBytes::Unreserved().With("/")));
}

}  // namespace cask::objstore
