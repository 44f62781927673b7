// GetInto: the Get that fills a caller's Item. It answers exactly as Get
// does, overwrites whatever a reused Item held, and clears the Item on
// every error.
#include <string>

#include "util.h"

namespace cask::conformance {
namespace {

// The Item GetInto leaves on error.
void RequireCleared(const Item& item) {
  REQUIRE(item.value.empty());
  REQUIRE(item.meta.etag.empty());
  REQUIRE(item.meta.size == 0);
  REQUIRE(item.meta.revision == 0);
  REQUIRE(item.meta.mtime == absl::UnixEpoch());
  REQUIRE_FALSE(item.meta.expires.has_value());
}

// A reused Item holding a longer value and etag than any read below.
Item StaleItem() {
  Item item;
  item.value = std::string(5000, 'v');
  item.meta.etag = std::string(200, 'e');
  item.meta.size = 5000;
  item.meta.revision = 987654321;
  item.meta.expires = absl::Now() + absl::Hours(1);
  return item;
}

TEST_CASE("get into: a reused item gets the new value and etag exactly",
          "[basic][get-into]") {
  auto store = MakeStore();
  const std::string long_value(300, 'L');
  const std::string long_etag = MustSet(*store, "s1:long", long_value);
  const std::string short_etag = MustSet(*store, "s1:short", "s");
  const std::string empty_etag = MustSet(*store, "s1:empty", "");

  Item item = StaleItem();
  CASK_REQUIRE_OK(store->GetInto("s1:long", &item));
  REQUIRE(item.value == long_value);
  REQUIRE(item.meta.etag == long_etag);
  REQUIRE(item.meta.size == 300);
  REQUIRE_FALSE(item.meta.expires.has_value());

  // The longer value and etag read before must not show through.
  CASK_REQUIRE_OK(store->GetInto("s1:short", &item));
  REQUIRE(item.value == "s");
  REQUIRE(item.meta.etag == short_etag);
  REQUIRE(item.meta.size == 1);
  CASK_REQUIRE_OK(store->GetInto("s1:empty", &item));
  REQUIRE(item.value.empty());
  REQUIRE(item.meta.etag == empty_etag);
  REQUIRE(item.meta.size == 0);

  // Field by field what Get answers, keys normalised alike.
  CASK_REQUIRE_OK(store->GetInto("/s1/short", &item));
  absl::StatusOr<Item> got = store->Get("s1:short");
  REQUIRE(got.ok());
  REQUIRE(item.value == got->value);
  REQUIRE(item.meta.etag == got->meta.etag);
  REQUIRE(item.meta.size == got->meta.size);
  REQUIRE(item.meta.mtime == got->meta.mtime);
  REQUIRE(item.meta.revision == got->meta.revision);
  REQUIRE(item.meta.expires == got->meta.expires);

  // A new write is seen by the next read into the same Item.
  const std::string next_etag = MustSet(*store, "s1:short", "second");
  CASK_REQUIRE_OK(store->GetInto("s1:short", &item));
  REQUIRE(item.value == "second");
  REQUIRE(item.meta.etag == next_etag);
}

TEST_CASE("get into: not found and bad keys clear the item",
          "[basic][get-into]") {
  auto store = MakeStore();
  MustSet(*store, "s1:a", "value of a");

  Item item = StaleItem();
  CASK_REQUIRE_CODE(store->GetInto("s1:missing", &item),
                    absl::StatusCode::kNotFound);
  RequireCleared(item);

  // After a successful read, a miss still leaves nothing of it behind.
  CASK_REQUIRE_OK(store->GetInto("s1:a", &item));
  REQUIRE(item.value == "value of a");
  CASK_REQUIRE_OK(store->Remove("s1:a"));
  CASK_REQUIRE_CODE(store->GetInto("s1:a", &item), absl::StatusCode::kNotFound);
  RequireCleared(item);

  for (const std::string& key :
       {std::string("a:..:b"), std::string(".."), std::string("a\0b", 3)}) {
    item = StaleItem();
    CASK_REQUIRE_CODE(store->GetInto(key, &item),
                      absl::StatusCode::kInvalidArgument);
    RequireCleared(item);
  }
}

}  // namespace
}  // namespace cask::conformance
