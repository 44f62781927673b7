// Parses `cask commit`'s input: one operation per line, in the spirit of
// `git update-ref --stdin` (docs/cli.md):
//   create KEY VALUE          put; the key must not exist
//   update KEY VALUE [ETAG]   put; with ETAG, only if the key has it
//   delete KEY [ETAG]         delete; with ETAG, only if the key has it
//   verify KEY [ETAG]         no write; the key has ETAG (without ETAG:
//                             the key must not exist)
// Tokens are separated by blanks; a token may be "double-quoted" with C
// escapes (\\ \" \n \r \t \0 \xHH) to carry blanks or any byte. Blank
// lines and lines starting with # are ignored.
#ifndef CASK_TOOLS_CLI_BATCH_PARSER_H_
#define CASK_TOOLS_CLI_BATCH_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cask/batch.h"

namespace cask::cli {

// kInvalidArgument naming the line for any malformed input.
absl::StatusOr<Batch> ParseBatch(std::string_view text);

// Splits one line into tokens (exposed for tests).
absl::StatusOr<std::vector<std::string>> TokenizeLine(std::string_view line);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_BATCH_PARSER_H_
