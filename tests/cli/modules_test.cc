// Which libraries a `cask` command loads: the network adapters are modules
// that libcask opens when a URI of their scheme is opened, so a command on
// an engine store maps none of them nor their client libraries. Observed
// with glibc's loader trace (LD_DEBUG=files), which names every object it
// maps.
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "run_process.h"

#ifdef CASK_CLI_TEST_MODULES
namespace cask::testing {
namespace {

std::vector<std::string> Loaded(const std::vector<std::string>& argv) {
  ProcessResult r = RunProcess(argv, "", {"LD_DEBUG=files"});
  std::vector<std::string> files;
  std::size_t at = 0;
  while ((at = r.err.find("file=", at)) != std::string::npos) {
    at += 5;
    files.push_back(r.err.substr(at, r.err.find_first_of(" \n", at) - at));
  }
  return files;
}

bool Has(const std::vector<std::string>& files, const std::string& prefix) {
  for (const std::string& f : files) {
    if (f.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST_CASE("a command on an engine store loads no network adapter",
          "[cli][modules]") {
  std::vector<std::string> files =
      Loaded({CASK_BINARY, "--store", "mem:", "get", "k"});
  REQUIRE(Has(files, "libcask.so"));  // the trace works
  for (const char* adapter :
       {"libcask_redis", "libcask_sqlite", "libcask_postgres", "libcask_mysql",
        "libcask_etcd", "libcask_s3", "libcask_azure_blob",
        "libcask_azure_table", "libcask_http.", "libhiredis", "libpq",
        "libmariadb", "libcurl"}) {
    INFO(adapter);
    REQUIRE_FALSE(Has(files, adapter));
  }
}

#ifdef CASK_CLI_TEST_REDIS_MODULE
TEST_CASE("a redis URI loads the redis module and its client library",
          "[cli][modules]") {
  std::vector<std::string> files =
      Loaded({CASK_BINARY, "--store", "redis://127.0.0.1:1", "get", "k"});
  REQUIRE(Has(files, "libcask_redis"));
  REQUIRE(Has(files, "libhiredis"));
  REQUIRE_FALSE(Has(files, "libpq"));
}
#endif

}  // namespace
}  // namespace cask::testing
#endif  // CASK_CLI_TEST_MODULES
