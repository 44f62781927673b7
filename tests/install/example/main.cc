// Create-only, then a swap, then a stale swap that must be refused.
#include <cstdio>

#include "cask/open.h"
#include "cask/status.h"

int main(int argc, char** argv) {
  const char* uri = argc > 1 ? argv[1] : "mem:";
  auto store = cask::OpenStore(uri);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  cask::WriteOptions create{cask::Precondition::CreateOnly()};
  auto first = (*store)->Set("refs:main", "c1", create);
  if (!first.ok()) return 2;
  cask::WriteOptions swap{cask::Precondition::IfMatch(*first)};
  auto second = (*store)->Set("refs:main", "c2", swap);
  if (!second.ok()) return 3;
  auto stale = (*store)->Set("refs:main", "c3", swap);
  if (!cask::IsCasMismatch(stale.status())) return 4;
  std::printf("ok %s -> %s\n", first->c_str(), second->c_str());
  return 0;
}
