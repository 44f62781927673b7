// How the s3 and azure_blob adapters name objects: a key "a:b" in a store
// opened with prefix "p" is the object (blob) "p/a:b" with ':' as '/', so
// keys with ':' segments show up as folders in the consoles. The URL of an
// object is the bucket (container) URL, '/', and the encoded name.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_NAMES_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_NAMES_H_

#include <string>
#include <string_view>

namespace cask::objstore {

// `endpoint` without its trailing '/'s.
std::string TrimTrailingSlashes(std::string endpoint);

// Maps keys to object names and URLs under one bucket or container.
// Thread-safe (immutable).
class ObjectNames {
 public:
  // `base_url`: the bucket or container URL, no trailing '/'. `prefix`:
  // the store's prefix without a trailing '/', or "".
  ObjectNames(std::string base_url, std::string_view prefix);

  // "prefix/" or "": what every object name of the store starts with.
  const std::string& prefix() const { return prefix_; }
  const std::string& base_url() const { return base_url_; }

  // The object name of `key`.
  std::string NameOf(std::string_view key) const;
  // The key of the object `name` (which starts with prefix()).
  std::string KeyOf(std::string_view name) const;
  // The name prefix listing the keys under `base` ("" for all keys):
  // prefix(), then `base` as a name and '/'.
  std::string ListPrefix(std::string_view base) const;
  // The URL of `key`'s object.
  std::string UrlOf(std::string_view key) const;

 private:
  std::string base_url_;
  std::string prefix_;
};

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_OBJECT_NAMES_H_
