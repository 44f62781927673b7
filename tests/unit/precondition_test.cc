#include "cask/precondition.h"

#include "cask/status.h"
#include "catch2/catch.hpp"

namespace cask {
namespace {

using Tags = std::vector<std::string>;
const std::optional<std::string> kAbsent;

TEST_CASE("RFC 9110 evaluation", "[precondition]") {
  std::optional<std::string> cur = "7";
  CHECK(PreconditionHolds({}, kAbsent));
  CHECK(PreconditionHolds({}, cur));
  CHECK(PreconditionHolds(Precondition::CreateOnly(), kAbsent));
  CHECK_FALSE(PreconditionHolds(Precondition::CreateOnly(), cur));
  CHECK(PreconditionHolds(Precondition::MustExist(), cur));
  CHECK_FALSE(PreconditionHolds(Precondition::MustExist(), kAbsent));
  CHECK(PreconditionHolds(Precondition::IfMatch("7"), cur));
  CHECK_FALSE(PreconditionHolds(Precondition::IfMatch("8"), cur));
  CHECK_FALSE(PreconditionHolds(Precondition::IfMatch("7"), kAbsent));
  CHECK_FALSE(PreconditionHolds(Precondition::IfMatch("W/7"), cur));
  CHECK_FALSE(PreconditionHolds(Precondition::IfNoneMatch("W/7"), cur));
  CHECK(PreconditionHolds(Precondition::IfNoneMatch("8"), cur));
  CHECK(PreconditionHolds(Precondition::IfNoneMatch("7"), kAbsent));
  CHECK(PreconditionHolds(Precondition{Tags{"1", "7"}, {}}, cur));
  CHECK_FALSE(PreconditionHolds(Precondition{{}, Tags{"1", "7"}}, cur));
  CHECK(PreconditionHolds(Precondition{Tags{"7"}, Tags{"8"}}, cur));
  CHECK_FALSE(PreconditionHolds(Precondition{Tags{"7"}, Tags{"7"}}, cur));
}

TEST_CASE("validation", "[precondition]") {
  CHECK(ValidatePrecondition({}).ok());
  CHECK(ValidatePrecondition(Precondition{Tags{"W/x", "y"}, Tags{"*"}}).ok());
  for (const Precondition& p :
       {Precondition{Tags{}, {}}, Precondition{Tags{"*", "a"}, {}},
        Precondition{Tags{"a b"}, {}}, Precondition{{}, Tags{"\"a\""}},
        Precondition{{}, Tags{"W/"}}}) {
    CHECK(ValidatePrecondition(p).code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a mismatch carries the current etag", "[precondition]") {
  absl::Status s = EvaluatePrecondition("k", Precondition::IfMatch("1"), "2");
  CHECK(IsCasMismatch(s));
  CHECK(CurrentEtag(s) == "2");
  CHECK(s.message().find("\"k\"") != std::string_view::npos);
  absl::Status absent =
      EvaluatePrecondition("k", Precondition::IfMatch("1"), kAbsent);
  CHECK(IsCasMismatch(absent));
  CHECK_FALSE(CurrentEtag(absent).has_value());
  CHECK(EvaluatePrecondition("k", {}, kAbsent).ok());
}

TEST_CASE("commit conflicts round-trip through the payload", "[status]") {
  std::vector<Conflict> conflicts = {
      {"a", "if-match \"1\"", std::string("2")},
      {std::string("b\0:", 3), "if-none-match *", std::nullopt},
  };
  absl::Status s = CommitConflictError(conflicts);
  CHECK(IsCasMismatch(s));
  CHECK(Conflicts(s) == conflicts);
  CHECK(Conflicts(absl::OkStatus()).empty());
  CHECK(IsCasUnsupported(CasUnsupportedError("x")));
}

}  // namespace
}  // namespace cask
