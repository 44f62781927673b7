// Exact results of the wire parsing rules (tools/server/wire.h); the
// fuzzers check their invariants on arbitrary input.
#define CATCH_CONFIG_MAIN
#include "wire.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catch2/catch.hpp"
#include "etag_header.h"
#include "status_mapping.h"

namespace {

using cask::Precondition;
using cask::http_protocol::ParsePreconditionHeaders;
using cask::server::ParseRequestPath;
using Tags = std::vector<std::string>;

std::string Key(std::string_view target) {
  auto p = ParseRequestPath(target, 1024);
  REQUIRE(p.ok());
  return p->key;
}

absl::StatusCode PathCode(std::string_view target) {
  return ParseRequestPath(target, 1024).status().code();
}

TEST_CASE("request path to key", "[wire]") {
  REQUIRE(Key("/a/b") == "a:b");
  REQUIRE(Key("/a:b") == "a:b");
  REQUIRE(Key("/a/b%20c:d?x=1") == "a:b c:d");
  REQUIRE(Key("/p/a%2520b") == "p:a%20b");  // decoded exactly once
  REQUIRE(Key("/a%3Ab") == "a:b");          // an encoded separator separates
  REQUIRE(Key("//a///b//") == "a:b");
  auto base = ParseRequestPath("/a/b/", 1024);
  REQUIRE(base.ok());
  REQUIRE(base->is_base);
  REQUIRE(base->key == "a:b");
  auto colon_base = ParseRequestPath("/a/b:", 1024);
  REQUIRE(colon_base->is_base);
  auto root = ParseRequestPath("/", 1024);
  REQUIRE(root->is_base);
  REQUIRE(root->key.empty());
  REQUIRE_FALSE(ParseRequestPath("/a/b", 1024)->is_base);
}

TEST_CASE("invalid request paths", "[wire]") {
  using C = absl::StatusCode;
  REQUIRE(PathCode("/a/../b") == C::kInvalidArgument);
  REQUIRE(PathCode("/a/%2e%2e/b") == C::kInvalidArgument);
  REQUIRE(PathCode("/a/%2E") == C::kInvalidArgument);
  REQUIRE(PathCode("/a%00b") == C::kInvalidArgument);
  REQUIRE(PathCode("/a%zz") == C::kInvalidArgument);
  REQUIRE(PathCode("/a%2") == C::kInvalidArgument);
  REQUIRE(PathCode("/" + std::string(1025, 'k')) == C::kInvalidArgument);
  REQUIRE(PathCode("/" + std::string(1024, 'k')) == C::kOk);
  REQUIRE(ParseRequestPath("/abcdef", 4).status().code() ==
          C::kInvalidArgument);
}

Precondition Parse(std::optional<std::string_view> im,
                   std::optional<std::string_view> inm) {
  auto p = ParsePreconditionHeaders(im, inm);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

absl::StatusCode HeaderCode(std::optional<std::string_view> im,
                            std::optional<std::string_view> inm) {
  return ParsePreconditionHeaders(im, inm).status().code();
}

TEST_CASE("precondition headers", "[wire]") {
  REQUIRE(Parse(std::nullopt, std::nullopt).empty());
  REQUIRE(Parse("*", std::nullopt).if_match == Tags{"*"});
  REQUIRE(Parse(" * ", std::nullopt).if_match == Tags{"*"});
  REQUIRE(Parse(std::nullopt, "*").if_none_match == Tags{"*"});
  REQUIRE(Parse("\"a\"", std::nullopt).if_match == Tags{"a"});
  REQUIRE(Parse("\"a\", W/\"b\",\"c\"", std::nullopt).if_match ==
          Tags{"a", "W/b", "c"});
  REQUIRE(Parse("\"a\",, \"b\"", std::nullopt).if_match == Tags{"a", "b"});
  Precondition both = Parse("\"a\"", "\"b\"");
  REQUIRE(both.if_match == Tags{"a"});
  REQUIRE(both.if_none_match == Tags{"b"});
}

TEST_CASE("malformed precondition headers are InvalidArgument", "[wire]") {
  using C = absl::StatusCode;
  for (std::string_view bad :
       {"", " ", "a", "\"a", "a\"", "\"a\" \"b\"", "*, \"a\"", "\"a\", *",
        ", ,", "\"\"", "W/a", "w/\"a\"", "\"a b\"", "\"a\"x", "**"}) {
    INFO(std::string(bad));
    REQUIRE(HeaderCode(bad, std::nullopt) == C::kInvalidArgument);
    REQUIRE(HeaderCode(std::nullopt, bad) == C::kInvalidArgument);
  }
}

TEST_CASE("etag quoting and the status table", "[wire]") {
  REQUIRE(cask::http_protocol::QuoteEtag("a.b") == "\"a.b\"");
  REQUIRE(cask::http_protocol::QuoteEtag("W/x") == "W/\"x\"");
  using cask::http_protocol::HttpStatusFor;
  REQUIRE(HttpStatusFor(absl::OkStatus()) == 200);
  REQUIRE(HttpStatusFor(absl::NotFoundError("")) == 404);
  REQUIRE(HttpStatusFor(absl::InvalidArgumentError("")) == 400);
  REQUIRE(HttpStatusFor(absl::AbortedError("")) == 412);
  REQUIRE(HttpStatusFor(absl::UnimplementedError("")) == 501);
  REQUIRE(HttpStatusFor(absl::UnavailableError("")) == 503);
  REQUIRE(HttpStatusFor(absl::ResourceExhaustedError("value too large")) ==
          413);
  REQUIRE(HttpStatusFor(absl::ResourceExhaustedError("disk full")) == 507);
  REQUIRE(HttpStatusFor(absl::OutOfRangeError("")) == 410);
  REQUIRE(HttpStatusFor(absl::DataLossError("")) == 500);
  REQUIRE(HttpStatusFor(absl::UnknownError("")) == 502);
  REQUIRE(HttpStatusFor(absl::UnauthenticatedError("")) == 401);
  REQUIRE(HttpStatusFor(absl::PermissionDeniedError("")) == 403);
}

}  // namespace

TEST_CASE("absolute-form request targets name the same key",
          "[wire][absolute_form]") {
  // RFC 9112 §3.2.2: a server must accept the absolute form; the authority
  // is not part of the key (it used to become the key "http:host:a:b").
  REQUIRE(Key("http://host/a/b") == "a:b");
  REQUIRE(Key("HTTP://host:8787/a/b?x=1") == "a:b");
  REQUIRE(Key("https://h/a%20b") == "a b");
  auto root = ParseRequestPath("http://host", 1024);
  REQUIRE(root.ok());
  REQUIRE(root->is_base);
  REQUIRE(root->key.empty());
  REQUIRE(PathCode("a/b") == absl::StatusCode::kInvalidArgument);
  REQUIRE(PathCode("host:80") == absl::StatusCode::kInvalidArgument);
  REQUIRE(PathCode("*") == absl::StatusCode::kInvalidArgument);
  REQUIRE(PathCode("ftp://host/a") == absl::StatusCode::kInvalidArgument);
}
