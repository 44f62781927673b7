// How an object store honours a cask Precondition with HTTP conditional
// headers, shared by the s3 and azure_blob adapters (one copy of the logic).
//
// Shapes the service evaluates itself are sent as headers (NativeHeaders).
// Every other shape (etag lists, weak tags, and on S3 `if_none_match E` and
// `if_match *`) is emulated atomically by RunPinned: read the current etag
// (HEAD), evaluate the precondition with cask's shared evaluator, then send
// the write pinned to exactly that state (If-Match: "<current>", or
// If-None-Match: * when absent). If the pin fails, the object changed in
// between and nothing was written: read again and re-evaluate, a bounded
// number of times. The write therefore applies only to the state the
// precondition was checked against.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_CONDITIONAL_WRITE_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_CONDITIONAL_WRITE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cask/precondition.h"

namespace cask::objstore {

// Header values ("" = header not sent).
struct ConditionalHeaders {
  std::string if_match;       // "*" or "\"etag\""
  std::string if_none_match;  // "*" or "\"etag\""
};

// Which shapes a service evaluates natively, beyond the single strong
// if_match tag and if_none_match "*" that both S3 and Azure honour.
struct NativeShapes {
  bool if_match_any = false;       // If-Match: *
  bool if_none_match_tag = false;  // If-None-Match: "etag"
  bool both_headers = false;       // If-Match and If-None-Match together
};

// The headers expressing `p` natively, or nullopt when `p` must be
// emulated with RunPinned. An empty `p` gives empty headers.
std::optional<ConditionalHeaders> NativeHeaders(const Precondition& p,
                                                const NativeShapes& shapes);

// Headers pinning a write to `current` (nullopt: the object is absent).
ConditionalHeaders PinTo(const std::optional<std::string>& current);

// The result of one conditional write attempt.
struct WriteAttempt {
  bool condition_failed = false;  // 412 / 409-exists / 404-on-if-match
  std::string etag;               // the new etag (writes), "" for deletes
};

using HeadFn = std::function<absl::StatusOr<std::optional<std::string>>()>;
using WriteFn =
    std::function<absl::StatusOr<WriteAttempt>(const ConditionalHeaders&)>;

// Emulates `p` on `key` as described above. `remove` true: when the object
// is absent and `p` holds, nothing is written and OK returned. A mismatch
// is CasMismatchError with the etag read; after `max_attempts` pins lost
// to concurrent writers, kUnavailable (nothing was written).
absl::StatusOr<std::string> RunPinned(std::string_view what,
                                      std::string_view key,
                                      const Precondition& p, bool remove,
                                      int max_attempts, const HeadFn& head,
                                      const WriteFn& write);

// A write or delete under `p`, the one way every object-store adapter
// runs it: sent with native headers when the service evaluates `p` itself
// (`shapes`; a delete never sends If-None-Match, which no service honours
// on deletes), else emulated with RunPinned. A native write whose
// condition fails reads the current etag with `head` for the mismatch
// error. Returns the new etag ("" for a delete).
absl::StatusOr<std::string> WriteConditionally(
    std::string_view what, std::string_view key, const Precondition& p,
    const NativeShapes& shapes, bool remove, int max_attempts,
    const HeadFn& head, const WriteFn& write);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_CONDITIONAL_WRITE_H_
