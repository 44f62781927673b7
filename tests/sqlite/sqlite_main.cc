// The conformance suite against the sqlite adapter: every test case gets a
// new database file in a private temporary directory; open_again opens that
// same file again (another connection, or in a forked child another
// process), so the thread and process races share one file.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "sqlite_store.h"
#include "target.h"

namespace {

std::string& TempDir() {
  static std::string dir;
  return dir;
}

std::string& CurrentPath() {
  static std::string path;
  return path;
}

void RemoveTempDir() {
  std::error_code ec;
  std::filesystem::remove_all(TempDir(), ec);
}

}  // namespace

int main(int argc, char** argv) {
  char tmpl[] = "/tmp/cask-sqlite-conformance.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return cask::conformance::SkipConformance("sqlite",
                                              "cannot make a temp directory");
  }
  TempDir() = tmpl;
  const pid_t owner = getpid();
  cask::conformance::Target t;
  t.name = "sqlite";
  t.make_empty = [] {
    static int n = 0;
    CurrentPath() = absl::StrCat(TempDir(), "/store-", ++n, ".db");
    return cask::OpenSqliteStoreUri(absl::StrCat("sqlite://", CurrentPath()));
  };
  t.open_again = [] {
    return cask::OpenSqliteStoreUri(absl::StrCat("sqlite://", CurrentPath()));
  };
  t.multi_process = true;
  int rc = cask::conformance::RunConformance(argc, argv, std::move(t));
  if (getpid() == owner) RemoveTempDir();
  return rc;
}
