// Error messages that echo what a caller sent stay short and printable,
// however long or hostile the input (docs/errors.md, "Echoing input").
#include <memory>
#include <string>

#include "cask/batch.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "memory_store.h"
#include "message_checks.h"
#include "uri.h"

namespace cask {
namespace {

TEST_CASE("QuoteForMessage caps and escapes", "[status]") {
  CHECK(QuoteForMessage("k") == "\"k\"");
  CHECK(QuoteForMessage("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(QuoteForMessage("\x1b[2J\x07\xff") == "\"\\x1b[2J\\x07\\xff\"");
  std::string long_text(1000, 'x');
  CHECK(QuoteForMessage(long_text) ==
        "\"" + std::string(kMaxQuotedBytes, 'x') + "...\" (1000 bytes)");
  CHECK(EscapeForMessage("line\nnext \"q\"", 100) == "line\\x0anext \"q\"");
}

TEST_CASE("a 50 MB etag gives a short message", "[status][limits]") {
  std::unique_ptr<Driver> store = *CreateMemoryStore();
  std::string huge(50 << 20, 'e');
  // Malformed (a control byte): rejected before the store.
  WriteOptions bad;
  bad.precondition = Precondition::IfMatch("\x1b" + huge);
  absl::StatusOr<std::string> set = store->Set("k", "v", bad);
  REQUIRE(set.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_SHORT_AND_PRINTABLE(set.status().message(), 1024);
  // Well-formed but not matching: the commit's conflict names it.
  Batch batch;
  batch.Verify("k", Precondition::IfMatch(huge));
  absl::StatusOr<CommitResult> commit = store->Commit(batch);
  REQUIRE(commit.status().code() == absl::StatusCode::kAborted);
  CHECK(commit.status().message().size() < 1024);
}

TEST_CASE("keys with control bytes are escaped in messages",
          "[status][limits]") {
  std::unique_ptr<Driver> store = *CreateMemoryStore();
  std::string key = "a:\x1b]0;title\x07:..";
  absl::StatusOr<std::string> set = store->Set(key, "v");
  REQUIRE(set.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(testing::Printable(set.status().message()));
  WriteOptions create;
  create.precondition = Precondition::CreateOnly();
  REQUIRE(store->Set("\x1b[31mk", "v").ok());
  absl::StatusOr<std::string> again = store->Set("\x1b[31mk", "v", create);
  REQUIRE(again.status().code() == absl::StatusCode::kAborted);
  CHECK(testing::Printable(again.status().message()));
}

TEST_CASE("a 1 MB URI gives a short message", "[uri][limits]") {
  std::string uri = "x://h:99999/" + std::string(1 << 20, 'p');
  absl::StatusOr<Uri> parsed = ParseUri(uri);
  REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(parsed.status().message().size() < 1024);
  // Found by fuzz_uri: the port was echoed whole.
  absl::StatusOr<Uri> port = ParseUri("x://h:" + std::string(100000, '9'));
  REQUIRE(port.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(port.status().message().size() < 1024);
  absl::StatusOr<std::string> decoded =
      PercentDecode(std::string(1 << 20, 'p') + "%zz");
  REQUIRE(decoded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(decoded.status().message().size() < 1024);
}

}  // namespace
}  // namespace cask
