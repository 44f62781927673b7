#include "store_modules.h"

#include <dlfcn.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cask/string_view_compat.h"

namespace cask {

absl::StatusOr<StoreOpener> LoadStoreModule(std::string_view name,
                                            const char* library) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* loaded =  // guarded by mu
      new absl::flat_hash_map<std::string, StoreOpener>();
  absl::MutexLock lock(&mu);
  auto it = loaded->find(ToAbsl(name));
  if (it != loaded->end()) return it->second;
  // RTLD_LOCAL: the adapter's symbols stay out of the global scope; never
  // dlclose'd, the drivers it opens run its code.
  void* handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot load the ", ToAbsl(name), " adapter: its module ", library,
        " is looked for beside libcask, then in the library "
        "path; install it with cask, or open another store (",
        dlerror(), ")"));
  }
  const std::string symbol = absl::StrCat("cask_store_opener_", ToAbsl(name));
  using Entry = StoreOpener (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, symbol.c_str()));
  if (entry == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", ToAbsl(name), " adapter (", library, ") has no ", symbol));
  }
  StoreOpener opener = entry();
  loaded->emplace(std::string(ToAbsl(name)), opener);
  return opener;
}

}  // namespace cask
