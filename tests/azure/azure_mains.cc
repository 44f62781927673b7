// The conformance suite against the azure_blob and azure_table adapters on
// Azurite (tests/servers/azurite.sh; URLs in CASK_TEST_AZURE_BLOB_URL and
// CASK_TEST_AZURE_TABLE_URL). One source, one program per store, chosen
// by CASK_CONFORMANCE_STORE. Each store is a fresh random prefix (blob) or
// partition (table); open_again is a new client of it, also in forked
// children.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "object_http.h"
#include "target.h"
#if CASK_AZURE_TABLE
#include "azure_table_store.h"
#else
#include "azure_blob_store.h"
#endif

namespace {

std::string& CurrentUri() {
  static std::string uri;
  return uri;
}

#if CASK_AZURE_TABLE
constexpr const char* kName = "azure_table";
constexpr const char* kEnv = "CASK_TEST_AZURE_TABLE_URL";
absl::StatusOr<std::unique_ptr<cask::Driver>> Open(const std::string& uri) {
  return cask::OpenAzureTableStoreUri(uri);
}
// A fresh partition of the same table.
std::string Fresh(const std::string& base) {
  return absl::StrCat(base, base.find('?') == std::string::npos ? "?" : "&",
                      "partition=run-", cask::objstore::RandomHex(8));
}
#else
constexpr const char* kName = "azure_blob";
constexpr const char* kEnv = "CASK_TEST_AZURE_BLOB_URL";
absl::StatusOr<std::unique_ptr<cask::Driver>> Open(const std::string& uri) {
  return cask::OpenAzureBlobStoreUri(uri);
}
// A fresh prefix in the same container.
std::string Fresh(const std::string& base) {
  std::size_t q = base.find('?');
  std::string prefix = absl::StrCat("/run-", cask::objstore::RandomHex(8));
  if (q == std::string::npos) return base + prefix;
  return absl::StrCat(base.substr(0, q), prefix, base.substr(q));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv(kEnv);
  if (url == nullptr || *url == '\0') {
    return cask::conformance::SkipConformance(
        kName,
        absl::StrCat(kEnv,
                     " is not set (run under tests/servers/with-servers.sh)"));
  }
  const std::string base = url;
  if (auto probe = Open(base); !probe.ok()) {
    if (!absl::IsUnavailable(probe.status())) {
      // Reachable but refusing: a failure, never a skip.
      std::fprintf(stderr, "%s: cannot open %s: %s\n", kName, url,
                   probe.status().ToString().c_str());
      return 1;
    }
    return cask::conformance::SkipConformance(
        kName,
        absl::StrCat("cannot reach Azurite: ", probe.status().ToString()));
  }
  cask::conformance::Target t;
  t.name = kName;
  t.make_empty = [base] {
    CurrentUri() = Fresh(base);
    return Open(CurrentUri());
  };
  t.open_again = [] { return Open(CurrentUri()); };
  t.multi_process = true;
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
