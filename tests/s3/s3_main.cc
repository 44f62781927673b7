// The conformance suite against the s3 adapter on a real S3 server (moto,
// started by tests/servers/moto.sh, URL in CASK_TEST_S3_URL). Each store is
// a fresh random prefix in one bucket; open_again is a new client (new
// connections) of the same prefix, also in forked children.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "object_http.h"
#include "s3_store.h"
#include "target.h"

namespace {

std::string& CurrentUri() {
  static std::string uri;
  return uri;
}

// `base` with "/<prefix>" inserted before its query.
std::string WithPrefix(const std::string& base, const std::string& prefix) {
  std::size_t q = base.find('?');
  if (q == std::string::npos) return absl::StrCat(base, "/", prefix);
  return absl::StrCat(base.substr(0, q), "/", prefix, base.substr(q));
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_S3_URL");
  if (url == nullptr || *url == '\0') {
    return cask::conformance::SkipConformance(
        "s3",
        "CASK_TEST_S3_URL is not set (run under "
        "tests/servers/with-servers.sh)");
  }
  const std::string base = url;
  absl::StatusOr<std::unique_ptr<cask::Driver>> probe =
      cask::OpenS3StoreUri(base);
  if (!probe.ok()) {
    if (!absl::IsUnavailable(probe.status())) {
      // Reachable but refusing: a failure, never a skip.
      std::fprintf(stderr, "s3: cannot open %s: %s\n", url,
                   probe.status().ToString().c_str());
      return 1;
    }
    return cask::conformance::SkipConformance(
        "s3", absl::StrCat("cannot reach the S3 server: ",
                           probe.status().ToString()));
  }
  cask::conformance::Target t;
  t.name = "s3";
  t.make_empty = [base] {
    CurrentUri() =
        WithPrefix(base, absl::StrCat("run-", cask::objstore::RandomHex(8)));
    return cask::OpenS3StoreUri(CurrentUri());
  };
  t.open_again = [] { return cask::OpenS3StoreUri(CurrentUri()); };
  t.multi_process = true;
  t.content_hash_etags = true;  // ETag = MD5 of the content
  t.race_scale = 2;             // moto serves one request at a time
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
