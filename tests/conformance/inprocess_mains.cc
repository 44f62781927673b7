// Test programs for the in-process stores: memory, lru, null and a Storage
// with several mounts. One source, one executable per store, chosen by
// the CASK_CONFORMANCE_STORE definition.
#include <memory>

#include "cask/overlay.h"
#include "cask/storage.h"
#include "lru_store.h"
#include "memory_store.h"
#include "null_store.h"
#include "target.h"

namespace {

using cask::Driver;

absl::StatusOr<std::unique_ptr<Driver>> MakeMountedStorage() {
  absl::StatusOr<std::unique_ptr<Driver>> root = cask::CreateMemoryStore();
  if (!root.ok()) return root.status();
  std::unique_ptr<cask::Storage> storage =
      cask::Storage::Create(std::shared_ptr<Driver>(*std::move(root)));
  // Bases chosen so the suite's keys land on several drivers: "s1:*" and
  // "s10:*" on their own mounts, "a:y:*" below a key the root holds, and
  // "lock" (race keys) on an lru store.
  for (const char* base : {"s1", "s10", "a:y"}) {
    absl::StatusOr<std::unique_ptr<Driver>> d = cask::CreateMemoryStore();
    if (!d.ok()) return d.status();
    if (absl::Status s =
            storage->Mount(base, std::shared_ptr<Driver>(*std::move(d)));
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::unique_ptr<Driver>> lru = cask::CreateLruStore(
      cask::LruOptions{.max_entries = 1000, .max_bytes = 0});
  if (!lru.ok()) return lru.status();
  if (absl::Status s =
          storage->Mount("lock", std::shared_ptr<Driver>(*std::move(lru)));
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<Driver>(std::move(storage));
}

cask::conformance::Target MakeTarget(std::string_view which) {
  cask::conformance::Target t;
  t.name = std::string(which);
  if (which == "memory") {
    t.make_empty = [] { return cask::CreateMemoryStore(); };
  } else if (which == "lru") {
    t.make_empty = [] {
      return cask::CreateLruStore(
          cask::LruOptions{.max_entries = 10000, .max_bytes = 4u << 20});
    };
  } else if (which == "null") {
    t.make_empty = []() -> absl::StatusOr<std::unique_ptr<Driver>> {
      return cask::CreateNullStore();
    };
    // It keeps nothing: only the refusal checks of these blocks apply.
    t.only_tags = "[cas],[commit],[ttl],[race],[scan-args]";
  } else if (which == "overlay") {
    // A memory top over two memory layers: the suite's writes and removes
    // all go through the overlay's pinned top-layer writes.
    t.make_empty = []() -> absl::StatusOr<std::unique_ptr<Driver>> {
      std::vector<std::shared_ptr<Driver>> layers;
      for (int i = 0; i < 3; ++i) {
        absl::StatusOr<std::unique_ptr<Driver>> m = cask::CreateMemoryStore();
        if (!m.ok()) return m.status();
        layers.push_back(std::shared_ptr<Driver>(*std::move(m)));
      }
      return cask::CreateOverlayStore(std::move(layers));
    };
  } else {
    t.make_empty = MakeMountedStorage;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  return cask::conformance::RunConformance(argc, argv,
                                           MakeTarget(CASK_CONFORMANCE_STORE));
}
