// Checks shared by the tests of messages that echo what a caller sent or
// what a server answered (docs/errors.md, "Echoing input in messages"):
// however long or hostile that input, the message stays short and holds
// printable ASCII only.
#ifndef CASK_TESTS_SUPPORT_MESSAGE_CHECKS_H_
#define CASK_TESTS_SUPPORT_MESSAGE_CHECKS_H_

#include "absl/strings/string_view.h"
#include "catch2/catch.hpp"

namespace cask::testing {

// True when every byte of `s` is printable ASCII (0x20 to 0x7e), so that
// no control sequence reaches a terminal or a log line.
inline bool Printable(absl::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace cask::testing

// CHECKs that `message` is shorter than `max_bytes` and printable. A macro,
// so that a failure names the line of the test that made the message.
#define CHECK_SHORT_AND_PRINTABLE(message, max_bytes) \
  do {                                                \
    CHECK((message).size() < (max_bytes));            \
    CHECK(::cask::testing::Printable(message));       \
  } while (false)

#endif  // CASK_TESTS_SUPPORT_MESSAGE_CHECKS_H_
