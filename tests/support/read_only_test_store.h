// A test double to build on: a store with no keys that refuses writes.
// Tests derive from it and override only the call whose behaviour they
// stage (a scan failing between pages, a trimmed change log, ...).
#ifndef CASK_TESTS_SUPPORT_READ_ONLY_TEST_STORE_H_
#define CASK_TESTS_SUPPORT_READ_ONLY_TEST_STORE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask::testing {

class ReadOnlyTestStore : public cask::Driver {
 protected:
  absl::StatusOr<cask::Item> DoGet(const std::string&) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<cask::Meta> DoGetMeta(const std::string&) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<std::string> DoSet(const std::string&, std::string_view,
                                    const cask::WriteOptions&) override {
    return absl::UnimplementedError("read-only");
  }
  absl::Status DoRemove(const std::string&,
                        const cask::Precondition&) override {
    return absl::UnimplementedError("read-only");
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(const std::string&) override {
    return std::vector<std::string>{};
  }
  absl::Status DoClear(const std::string&) override {
    return absl::UnimplementedError("read-only");
  }
};

}  // namespace cask::testing

#endif  // CASK_TESTS_SUPPORT_READ_ONLY_TEST_STORE_H_
