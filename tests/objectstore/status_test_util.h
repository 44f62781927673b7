// Helpers shared by the object-store status tests (tests/s3/s3_status_test.cc,
// tests/azure/azure_status_test.cc): URIs with a fresh prefix, write
// options with a precondition, exact-code checks, and a port with nothing
// listening for the "server down" cases. Header-only, for Catch2 tests.
#ifndef CASK_TESTS_OBJECTSTORE_STATUS_TEST_UTIL_H_
#define CASK_TESTS_OBJECTSTORE_STATUS_TEST_UTIL_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cask/precondition.h"
#include "cask/types.h"
#include "catch2/catch.hpp"

namespace cask::objstore_test {

// `base` (a store URI with a query) with "/`prefix`" added to its path.
inline std::string WithPrefix(const std::string& base,
                              const std::string& prefix) {
  std::size_t q = base.find('?');
  return absl::StrCat(base.substr(0, q), "/", prefix, base.substr(q));
}

inline WriteOptions When(Precondition p) {
  WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
inline absl::Status StatusOf(const absl::Status& s) { return s; }

// A TCP port on 127.0.0.1 with nothing listening.
inline int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace cask::objstore_test

// REQUIRE that a Status or StatusOr has exactly `expected`.
#define REQUIRE_CODE(expr, expected)                         \
  do {                                                       \
    absl::Status _s = ::cask::objstore_test::StatusOf(expr); \
    INFO(_s.ToString());                                     \
    REQUIRE(_s.code() == (expected));                        \
  } while (0)

#endif  // CASK_TESTS_OBJECTSTORE_STATUS_TEST_UTIL_H_
