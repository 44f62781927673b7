// The cask CLI's commands, one function each. They print their result to
// `out` (text, or JSON with Context::json) and return the status that
// decides the exit code (cli/exit_codes.h). docs/cli.md is the manual.
#ifndef CASK_TOOLS_CLI_COMMANDS_H_
#define CASK_TOOLS_CLI_COMMANDS_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cask/driver.h"

namespace cask::cli {

struct Context {
  Driver* store = nullptr;
  bool json = false;
  std::FILE* out = stdout;
  std::FILE* in = stdin;
};

// --if-match / --if-none-match as given: each value may hold several
// comma-separated etags, quoted ("a", W/"b") or bare.
struct PreconditionFlags {
  std::vector<std::string> if_match;
  std::vector<std::string> if_none_match;
};

// kInvalidArgument for an empty or unterminated etag.
absl::StatusOr<Precondition> ToPrecondition(const PreconditionFlags& flags);

absl::Status RunGet(const Context& ctx, const std::string& key);
absl::Status RunMeta(const Context& ctx, const std::string& key);
// value nullopt or "-": read the value from ctx.in.
absl::Status RunSet(const Context& ctx, const std::string& key,
                    const std::optional<std::string>& value,
                    const PreconditionFlags& flags, double ttl_seconds);
absl::Status RunRemove(const Context& ctx, const std::string& key,
                       const PreconditionFlags& flags);
// --limit / --after of keys and scan: at most `limit` entries (0: all)
// after the key `after` ("" : from the start).
struct PageFlags {
  std::uint64_t limit = 0;
  std::string after;
};

// Without page flags: every key (Keys). With them: pages through Scan.
absl::Status RunKeys(const Context& ctx, const std::string& base,
                     const PageFlags& page = {});
// Entries under `base`: "key<TAB>etag<TAB>size[<TAB>value]" per line (the
// value C-escaped; UTF-8 text keeps its characters), or one JSON object
// per line with --json (get's fields, "value" or "value_base64" with
// --values).
absl::Status RunScan(const Context& ctx, const std::string& base,
                     const PageFlags& page, bool values);
absl::Status RunClear(const Context& ctx, const std::string& base);
absl::Status RunCommit(const Context& ctx);
absl::Status RunExport(const Context& ctx, const std::string& base);
absl::Status RunImport(const Context& ctx, bool atomic);

// Prints `status` as the one clear stderr line (and as JSON on ctx.out
// with --json).
void ReportError(const Context& ctx, const absl::Status& status);

}  // namespace cask::cli

#endif  // CASK_TOOLS_CLI_COMMANDS_H_
