// The conformance suite against a real Redis: CASK_TEST_REDIS_URL (set by
// tests/servers/redis.sh). Each store the suite makes is a fresh random
// key prefix on that server; open_again opens a new connection to it.
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "redis_store.h"
#include "target.h"

namespace {

cask::RedisOptions& Base() {
  static cask::RedisOptions options;
  return options;
}

std::string& CurrentPrefix() {
  static std::string prefix;
  return prefix;
}

absl::StatusOr<std::unique_ptr<cask::Driver>> OpenCurrent() {
  cask::RedisOptions o = Base();
  o.prefix = CurrentPrefix();
  return cask::OpenRedisStore(o);
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') {
    return cask::conformance::SkipConformance(
        "redis",
        "CASK_TEST_REDIS_URL is not set (run under "
        "tests/servers/with-servers.sh)");
  }
  absl::StatusOr<cask::RedisOptions> options = cask::RedisOptions::FromUri(url);
  if (!options.ok()) {
    return cask::conformance::SkipConformance("redis",
                                              options.status().ToString());
  }
  Base() = *options;
  std::random_device rd;
  const std::string run = absl::StrFormat("cask-test:%08x", rd());
  if (absl::StatusOr<std::unique_ptr<cask::Driver>> probe =
          cask::OpenRedisStore(Base());
      !probe.ok()) {
    return cask::conformance::SkipConformance("redis",
                                              probe.status().ToString());
  }
  cask::conformance::Target t;
  t.name = "redis";
  t.make_empty = [run, n = 0]() mutable {
    CurrentPrefix() = absl::StrCat(run, ":", ++n, ":");
    return OpenCurrent();
  };
  t.open_again = OpenCurrent;
  t.multi_process = true;
  t.ttl_granularity = absl::Milliseconds(100);
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
