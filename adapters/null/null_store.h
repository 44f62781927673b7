// null: accepts every write and drops it; every read is kNotFound.
//
// Etags: each Set returns a fresh counter value that no read will ever
// show. It has no CAS: any precondition is CAS unsupported (kUnimplemented),
// as is Commit, so a conditional write is never silently dropped.
//
// Thread-safe.
#ifndef CASK_ADAPTERS_NULL_NULL_STORE_H_
#define CASK_ADAPTERS_NULL_NULL_STORE_H_

#include <memory>

#include "cask/driver.h"

namespace cask {

std::unique_ptr<Driver> CreateNullStore();

}  // namespace cask

#endif  // CASK_ADAPTERS_NULL_NULL_STORE_H_
