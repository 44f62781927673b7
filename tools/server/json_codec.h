// The JSON bodies of `cask serve` that only the server reads or writes
// (docs/protocol.md): the commit request and answer, and key listings. The
// bodies a client reads too (errors, the change feed) live in
// adapters/http_protocol.
//
// Thread safety: pure functions.
#ifndef CASK_TOOLS_SERVER_JSON_CODEC_H_
#define CASK_TOOLS_SERVER_JSON_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/batch.h"

namespace cask::server {

// `{"ops":[{"op":"put","key":..,"value"|"value_base64":..,"ttl":..,
// "if_match":..,"if_none_match":..}, {"op":"delete"|"verify",..}]}` -> a
// Batch. kInvalidArgument naming the first problem.
absl::StatusOr<Batch> ParseBatch(std::string_view body);

// `{"etags":[..],"revision":n}`.
std::string CommitAnswerJson(const CommitResult& result);

// A listing: `["a/b","c"]` (keys with `:` shown as `/`, unstorage's
// `key$` meta entries left out).
std::string KeyListJson(const std::vector<std::string>& keys);

}  // namespace cask::server

#endif  // CASK_TOOLS_SERVER_JSON_CODEC_H_
