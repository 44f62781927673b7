// The conformance suite against a SQL server adapter (postgres, mysql; one
// source, built once per adapter with CASK_STORE_NAME, CASK_SERVER_ENV,
// CASK_STORE_HEADER and CASK_OPEN_STORE). The server's URL comes from the
// environment (tests/servers/with-servers.sh sets it); without it, or when
// the server does not answer, the suite is reported as skipped.
//
// Every test case gets its own table; open_again opens a new connection to
// that table, also from forked children (the process races).
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "target.h"
#include CASK_STORE_HEADER

namespace {

std::string& BaseUrl() {
  static std::string url;
  return url;
}

std::string& CurrentTable() {
  static std::string table;
  return table;
}

std::string UrlFor(const std::string& table) {
  const char* sep = BaseUrl().find('?') == std::string::npos ? "?" : "&";
  return absl::StrCat(BaseUrl(), sep, "table=", table);
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv(CASK_SERVER_ENV);
  if (url == nullptr || *url == '\0') {
    return cask::conformance::SkipConformance(
        CASK_STORE_NAME, CASK_SERVER_ENV
        " is not set (run the tests under tests/servers/with-servers.sh)");
  }
  BaseUrl() = url;
  if (absl::Status probe = CASK_OPEN_STORE(UrlFor("cask_probe")).status();
      probe.code() == absl::StatusCode::kUnavailable) {
    return cask::conformance::SkipConformance(
        CASK_STORE_NAME,
        absl::StrCat("server at ", url, " unreachable: ", probe.ToString()));
  }
  std::random_device rd;
  const std::string prefix = absl::StrFormat(
      "t%x_%06x", static_cast<unsigned>(getpid()), rd() & 0xffffff);
  cask::conformance::Target t;
  t.name = CASK_STORE_NAME;
  t.make_empty = [prefix] {
    static int n = 0;
    CurrentTable() = absl::StrCat(prefix, "_", ++n);
    return CASK_OPEN_STORE(UrlFor(CurrentTable()));
  };
  t.open_again = [] { return CASK_OPEN_STORE(UrlFor(CurrentTable())); };
  t.multi_process = true;
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
