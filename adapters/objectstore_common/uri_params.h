// URI parameter parsing shared by the object-store adapters' FromUri.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_URI_PARAMS_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_URI_PARAMS_H_

#include <cstdint>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uri.h"

namespace cask::objstore {

// The boolean parameter `name` (1/true/yes or 0/false/no, any case), or
// `fallback` when absent. kInvalidArgument for any other value.
absl::StatusOr<bool> BoolParam(const Uri& uri, std::string_view name,
                               bool fallback);

// The write-path parameters every object-store URI takes:
// conflict_retries (default 8; over 1000 is `bad("conflict_retries over
// 1000")`) and max_value_bytes (default 0: the service's limit).
absl::Status ParseWriteParams(
    const Uri& uri, absl::FunctionRef<absl::Status(std::string_view)> bad,
    int* conflict_retries, std::uint64_t* max_value_bytes);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_URI_PARAMS_H_
