// Helpers for the engine's own tests.
#ifndef CASK_TESTS_ENGINE_TEST_UTIL_H_
#define CASK_TESTS_ENGINE_TEST_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace cask::engine_test {

// The revision part of an engine etag ("<revision>.<store id>").
inline std::uint64_t RevisionOf(const std::string& etag) {
  return std::stoull(etag.substr(0, etag.find('.')));
}

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "cask-engine-XXXXXX")
            .string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cask::engine_test

#endif  // CASK_TESTS_ENGINE_TEST_UTIL_H_
