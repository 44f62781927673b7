// What an object store's error answer puts into a message: the caller's
// key quoted, the service's error code and message escaped and capped
// (cask/quote.h), however long or hostile the answer.
#include <string>

#include "azure_table_errors.h"
#include "catch2/catch.hpp"
#include "error_status.h"
#include "message_checks.h"

namespace cask {
namespace {

TEST_CASE("a hostile error answer gives a short, printable message",
          "[errors][limits]") {
  const std::string key = "refs:\x1b]0;title\x07";
  const std::string huge = "\x1b[2J" + std::string(1 << 20, 'm');
  absl::Status s = objstore::ErrorStatus(
      "put", key, {"s3", 500, "Internal\x1b[31mError", huge}, {},
      "NoSuchBucket",
      /*is_write=*/true);
  CHECK(s.code() == absl::StatusCode::kUnknown);
  CHECK_SHORT_AND_PRINTABLE(s.message(), 2048);
  CHECK(s.message().find("\"refs:\\x1b]0;title\\x07\"") !=
        absl::string_view::npos);
  CHECK(s.message().find("\\x1b[2Jmmm") != absl::string_view::npos);
  CHECK(s.message().find("... (1048580 bytes)") != absl::string_view::npos);

  absl::Status missing = objstore::KeyNotFound("azure blob", key);
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(testing::Printable(missing.message()));
}

TEST_CASE("an Azure Table error body of a megabyte stays out of the message",
          "[errors][limits]") {
  transport::HttpResponse r;
  r.status = 400;
  r.body =
      "{\"odata.error\":{\"code\":\"InvalidInput\",\"message\":"
      "{\"value\":\"\\u0007" +
      std::string(1 << 20, 'x') + "\"}}}";
  absl::Status s = aztable::AzureTableError("put", "k", r, /*is_write=*/true);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_SHORT_AND_PRINTABLE(s.message(), 2048);
  CHECK(s.message().find("InvalidInput: \\x07xxx") != absl::string_view::npos);
}

}  // namespace
}  // namespace cask
