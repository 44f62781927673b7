// The conformance suite against a real etcd: CASK_TEST_ETCD_URL (set by
// tests/servers/etcd.sh). Each store the suite makes is a fresh random key
// prefix on that cluster; open_again opens a new client (connection) to it.
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "etcd_store.h"
#include "target.h"

namespace {

cask::EtcdOptions& Base() {
  static cask::EtcdOptions options;
  return options;
}

std::string& CurrentPrefix() {
  static std::string prefix;
  return prefix;
}

absl::StatusOr<std::unique_ptr<cask::Driver>> OpenCurrent() {
  cask::EtcdOptions o = Base();
  o.prefix = CurrentPrefix();
  return cask::OpenEtcdStore(o);
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_ETCD_URL");
  if (url == nullptr || *url == '\0') {
    return cask::conformance::SkipConformance(
        "etcd",
        "CASK_TEST_ETCD_URL is not set (run under "
        "tests/servers/with-servers.sh)");
  }
  absl::StatusOr<cask::EtcdOptions> options = cask::EtcdOptions::FromUri(url);
  if (!options.ok()) {
    return cask::conformance::SkipConformance("etcd",
                                              options.status().ToString());
  }
  Base() = *options;
  if (absl::StatusOr<std::unique_ptr<cask::Driver>> probe =
          cask::OpenEtcdStore(Base());
      !probe.ok()) {
    return cask::conformance::SkipConformance("etcd",
                                              probe.status().ToString());
  }
  std::random_device rd;
  const std::string run = absl::StrFormat("cask-test/%08x", rd());
  cask::conformance::Target t;
  t.name = "etcd";
  t.make_empty = [run, n = 0]() mutable {
    CurrentPrefix() = absl::StrCat(run, "/", ++n, "/");
    return OpenCurrent();
  };
  t.open_again = OpenCurrent;
  t.multi_process = true;
  // Lease TTLs are whole seconds (and at least etcd's minimum of 2 s).
  t.ttl_granularity = absl::Seconds(1);
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
