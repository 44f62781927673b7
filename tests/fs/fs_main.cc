// The conformance suite for the fs store: each test case gets a fresh
// directory; open_again opens the same directory again (also in forked
// children), so the 4-process races run.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fs_store.h"
#include "target.h"

namespace {

std::string& Scratch() {
  static std::string dir;
  return dir;
}
std::string& CurrentRoot() {
  static std::string root;
  return root;
}
int counter = 0;

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/cask-fs-conformance-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return cask::conformance::SkipConformance(
        "fs", "cannot create a scratch directory under $TMPDIR or /tmp");
  }
  Scratch() = pattern;

  cask::conformance::Target t;
  t.name = "fs";
  t.make_empty = [] {
    CurrentRoot() = Scratch() + "/store-" + std::to_string(++counter);
    return cask::CreateFsStore(cask::FsOptions{.root = CurrentRoot()});
  };
  t.open_again = [] {
    return cask::CreateFsStore(cask::FsOptions{.root = CurrentRoot()});
  };
  t.multi_process = true;
  int rc = cask::conformance::RunConformance(argc, argv, std::move(t));
  std::error_code ec;
  std::filesystem::remove_all(Scratch(), ec);
  return rc;
}
