#include "null_store.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "cask/quote.h"

namespace cask {
namespace {

class NullStore final : public Driver {
 public:
  std::string_view name() const override { return "null"; }
  Capabilities capabilities() const override { return Capabilities{}; }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    return NotFound(key);
  }
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    return NotFound(key);
  }
  absl::StatusOr<std::string> DoSet(const std::string&, std::string_view,
                                    const WriteOptions&) override {
    return absl::StrCat("null.", ++counter_);
  }
  absl::Status DoRemove(const std::string&, const Precondition&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(const std::string&) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<ScanPage> DoScan(const std::string&,
                                  const ScanOptions&) override {
    return ScanPage{};  // nothing kept, nothing listed: the scan is complete
  }
  absl::Status DoClear(const std::string&) override { return absl::OkStatus(); }

 private:
  static absl::Status NotFound(const std::string& key) {
    return absl::NotFoundError(absl::StrCat(
        "key ", QuoteForMessage(key), " not found (null store keeps nothing)"));
  }
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace

std::unique_ptr<Driver> CreateNullStore() {
  return std::make_unique<NullStore>();
}

}  // namespace cask
