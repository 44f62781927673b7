// Helpers shared by the conformance test cases.
#ifndef CASK_TESTS_CONFORMANCE_UTIL_H_
#define CASK_TESTS_CONFORMANCE_UTIL_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/driver.h"
#include "catch2/catch.hpp"
#include "target.h"

namespace cask::conformance {

// A fresh empty store for one test case; fails the test if it cannot be
// made.
std::unique_ptr<Driver> MakeStore();
// Another client of the current store (or nullptr: share the first).
std::unique_ptr<Driver> OpenAgain();

// Sets `key` and returns its etag, failing the test on error.
std::string MustSet(Driver& store, std::string_view key, std::string_view value,
                    const WriteOptions& options = {});
// The value of `key`, failing the test on error.
std::string MustGet(Driver& store, std::string_view key);

// Prints a loud note that `block` was not run for this store and why; the
// test still asserts the refusal status.
void NoteSkippedBlock(std::string_view block, std::string_view why);

}  // namespace cask::conformance

// Catch prints the code and message of a failing status.
namespace Catch {
template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& s) { return s.ToString(); }
};
template <>
struct StringMaker<absl::StatusCode> {
  static std::string convert(absl::StatusCode c) {
    return absl::StatusCodeToString(c);
  }
};
}  // namespace Catch

#define CASK_REQUIRE_OK(expr)       \
  do {                              \
    const absl::Status _s = (expr); \
    INFO(_s.ToString());            \
    REQUIRE(_s.ok());               \
  } while (0)

// REQUIRE that a Status or StatusOr has exactly `code`.
#define CASK_REQUIRE_CODE(expr, expected_code)                     \
  do {                                                             \
    const absl::Status _s = ::cask::conformance::StatusOf((expr)); \
    INFO(_s.ToString());                                           \
    REQUIRE(_s.code() == (expected_code));                         \
  } while (0)

namespace cask::conformance {
inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace cask::conformance

#endif  // CASK_TESTS_CONFORMANCE_UTIL_H_
