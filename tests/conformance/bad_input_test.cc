// The bad-input block: invalid keys, malformed preconditions and oversized
// values get a clear kInvalidArgument / kResourceExhausted before the
// backend is touched, and nothing already written is lost.
#include <string>
#include <vector>

#include "cask/key.h"
#include "util.h"

namespace cask::conformance {
namespace {

using Tags = std::vector<std::string>;

const std::vector<std::string>& BadKeys() {
  static const auto* keys = new std::vector<std::string>{
      "",
      ":",
      "///",
      "a:..:b",
      "..",
      ".",
      "a/./b",
      std::string("a\0b", 3),
      std::string(kMaxKeyBytes + 1, 'k'),
  };
  return *keys;
}

TEST_CASE("bad keys are InvalidArgument on every call", "[bad-input]") {
  auto store = MakeStore();
  MustSet(*store, "keep", "safe");
  for (const std::string& key : BadKeys()) {
    INFO("key of " << key.size() << " bytes");
    CASK_REQUIRE_CODE(store->Get(key), absl::StatusCode::kInvalidArgument);
    CASK_REQUIRE_CODE(store->GetMeta(key), absl::StatusCode::kInvalidArgument);
    CASK_REQUIRE_CODE(store->Has(key), absl::StatusCode::kInvalidArgument);
    CASK_REQUIRE_CODE(store->Set(key, "v"), absl::StatusCode::kInvalidArgument);
    CASK_REQUIRE_CODE(store->Remove(key), absl::StatusCode::kInvalidArgument);
  }
  CASK_REQUIRE_CODE(store->Keys("a:..:b"), absl::StatusCode::kInvalidArgument);
  CASK_REQUIRE_CODE(store->Clear(".."), absl::StatusCode::kInvalidArgument);
  REQUIRE(*store->Keys() == std::vector<std::string>{"keep"});
  REQUIRE(MustGet(*store, "keep") == "safe");
}

TEST_CASE("the longest valid key works", "[bad-input]") {
  auto store = MakeStore();
  std::string key(kMaxKeyBytes, 'k');
  MustSet(*store, key, "v");
  REQUIRE(MustGet(*store, key) == "v");
}

TEST_CASE("malformed preconditions are InvalidArgument", "[bad-input]") {
  auto store = MakeStore();
  std::string etag = MustSet(*store, "k", "v");
  std::vector<Precondition> bad = {
      Precondition{Tags{}, {}},  // empty list
      Precondition{{}, Tags{}},
      Precondition{Tags{"*", etag}, {}},  // * mixed with tags
      Precondition{{}, Tags{etag, "*"}},
      Precondition{Tags{"has space"}, {}},  // not etagc
      Precondition{Tags{"\"quoted\""}, {}},
      Precondition{Tags{""}, {}},
      Precondition{Tags{"W/"}, {}},
      Precondition{{}, Tags{std::string("a\0b", 3)}},
  };
  for (const Precondition& p : bad) {
    INFO(DescribePrecondition(p));
    WriteOptions o;
    o.precondition = p;
    CASK_REQUIRE_CODE(store->Set("k", "changed", o),
                      absl::StatusCode::kInvalidArgument);
    CASK_REQUIRE_CODE(store->Remove("k", p),
                      absl::StatusCode::kInvalidArgument);
  }
  REQUIRE(MustGet(*store, "k") == "v");
  REQUIRE(store->GetMeta("k")->etag == etag);
}

TEST_CASE("a value over the store's limit is ResourceExhausted",
          "[bad-input]") {
  auto store = MakeStore();
  std::uint64_t limit = store->capabilities().max_value_bytes;
  if (limit == 0 || limit > (64u << 20)) {
    NoteSkippedBlock("oversized value",
                     "store has no value limit under 64 MiB");
    return;
  }
  MustSet(*store, "k", "v");
  std::string big(limit + 1, 'x');
  CASK_REQUIRE_CODE(store->Set("k", big), absl::StatusCode::kResourceExhausted);
  REQUIRE(MustGet(*store, "k") == "v");
}

}  // namespace
}  // namespace cask::conformance
