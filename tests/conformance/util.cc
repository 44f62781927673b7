#include "util.h"

#include <cstdio>

namespace cask::conformance {

std::unique_ptr<Driver> MakeStore() {
  absl::StatusOr<std::unique_ptr<Driver>> store = CurrentTarget().make_empty();
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::unique_ptr<Driver> OpenAgain() {
  if (!CurrentTarget().open_again) return nullptr;
  absl::StatusOr<std::unique_ptr<Driver>> store = CurrentTarget().open_again();
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::string MustSet(Driver& store, std::string_view key, std::string_view value,
                    const WriteOptions& options) {
  absl::StatusOr<std::string> etag = store.Set(key, value, options);
  INFO("set " << key << ": " << etag.status().ToString());
  REQUIRE(etag.ok());
  REQUIRE_FALSE(etag->empty());
  return *etag;
}

std::string MustGet(Driver& store, std::string_view key) {
  absl::StatusOr<Item> item = store.Get(key);
  INFO("get " << key << ": " << item.status().ToString());
  REQUIRE(item.ok());
  return item->value;
}

void NoteSkippedBlock(std::string_view block, std::string_view why) {
  std::fprintf(stderr, "*** SKIPPED block \"%.*s\" for store \"%s\": %.*s\n",
               static_cast<int>(block.size()), block.data(),
               CurrentTarget().name.c_str(), static_cast<int>(why.size()),
               why.data());
  WARN("SKIPPED block " << block << ": " << why);
}

}  // namespace cask::conformance
