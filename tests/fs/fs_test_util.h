// Helpers shared by the fs store's tests: a scratch directory and
// REQUIRE-ing wrappers around opening, setting and getting.
#ifndef CASK_TESTS_FS_FS_TEST_UTIL_H_
#define CASK_TESTS_FS_FS_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "catch2/catch.hpp"
#include "fs_store.h"

namespace cask::fs_test {

// A fresh directory under $TMPDIR (default /tmp), removed at the end of
// the test case.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/cask-fs-test-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string root() const { return path_ + "/store"; }

 private:
  std::string path_;
};

inline std::unique_ptr<Driver> Open(const std::string& root,
                                    bool sync = false) {
  absl::StatusOr<std::unique_ptr<Driver>> store =
      CreateFsStore(FsOptions{.root = root, .sync = sync});
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

inline std::string MustSet(Driver& store, std::string_view key,
                           std::string_view v, const WriteOptions& o = {}) {
  absl::StatusOr<std::string> etag = store.Set(key, v, o);
  INFO(etag.status().ToString());
  REQUIRE(etag.ok());
  return *etag;
}

inline std::string MustGet(Driver& store, std::string_view key) {
  absl::StatusOr<Item> item = store.Get(key);
  INFO(item.status().ToString());
  REQUIRE(item.ok());
  return item->value;
}

}  // namespace cask::fs_test

#endif  // CASK_TESTS_FS_FS_TEST_UTIL_H_
