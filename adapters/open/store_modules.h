// Adapters loaded on demand. In a shared-library build, OpenStore opens a
// network adapter's library (and with it that adapter's client library:
// libpq, libmariadb, libcurl, hiredis, ...) only when a URI of its scheme
// is opened, so that a program opening an engine or file store does not
// map and relocate the sixty-odd libraries it never calls: about half the
// CPU a `cask get` spent before it did anything (docs/benchmarks/cli.md).
//
// Each such adapter library carries an entry point generated from
// store_module.cc.in: `extern "C" StoreOpener cask_store_opener_<name>()`.
//
// Thread safety: LoadStoreModule is thread-safe.
#ifndef CASK_ADAPTERS_OPEN_STORE_MODULES_H_
#define CASK_ADAPTERS_OPEN_STORE_MODULES_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/driver.h"

namespace cask {

// An adapter's OpenXStoreUri.
using StoreOpener =
    absl::StatusOr<std::unique_ptr<Driver>> (*)(std::string_view uri);

// The opener of adapter `name` (e.g. "redis"), from its shared library
// `library` (its soname, found like any library: RUNPATH of libcask,
// LD_LIBRARY_PATH, the system's directories), loaded once and never
// unloaded (the drivers it returns run its code). kFailedPrecondition when
// the library cannot be loaded or has no entry point (dlerror's words).
absl::StatusOr<StoreOpener> LoadStoreModule(std::string_view name,
                                            const char* library);

}  // namespace cask

#endif  // CASK_ADAPTERS_OPEN_STORE_MODULES_H_
