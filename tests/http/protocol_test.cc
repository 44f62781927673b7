// The shared HTTP protocol library (adapters/http_protocol): what the
// server writes, the client reads back unchanged.
#define CATCH_CONFIG_MAIN
#include <optional>
#include <string>
#include <vector>

#include "capabilities_header.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "error_body.h"
#include "etag_header.h"
#include "feed_json.h"
#include "listing_json.h"
#include "message_checks.h"
#include "meta_headers.h"
#include "status_mapping.h"

namespace hp = cask::http_protocol;

TEST_CASE("etag lists round-trip through their header value", "[protocol]") {
  std::vector<std::string> tags = {"a", "W/b", "c.d"};
  std::string value = hp::EtagListHeaderValue(tags);
  REQUIRE(value == "\"a\", W/\"b\", \"c.d\"");
  auto parsed = hp::ParseEtagList("If-Match", value);
  REQUIRE(parsed.ok());
  REQUIRE(*parsed == tags);
  REQUIRE(hp::EtagListHeaderValue({"*"}) == "*");
  REQUIRE(hp::UnquoteEtag(" W/\"x\" ") == "W/x");
  REQUIRE(hp::UnquoteEtag(hp::QuoteEtag("e1")) == "e1");
}

TEST_CASE("capability headers round-trip", "[protocol]") {
  cask::Capabilities caps;
  caps.cas = true;
  caps.ttl = true;
  caps.max_value_bytes = 1000;
  hp::Advertised a = hp::AdvertisedFor(caps, 5000);
  REQUIRE(a.max_value == 1000);
  REQUIRE(hp::FeaturesHeaderValue(a) == "cas, ttl, scan");
  hp::Advertised back =
      hp::ParseAdvertised(hp::CasHeaderValue(a), hp::FeaturesHeaderValue(a),
                          hp::MaxValueHeaderValue(a));
  REQUIRE(back == a);
  REQUIRE_FALSE(
      hp::ParseAdvertised(std::nullopt, std::nullopt, std::nullopt).cas);
}

TEST_CASE("listing entries round-trip, bytes that are not UTF-8 in base64",
          "[protocol]") {
  cask::ScanEntry e;
  e.key = "a:b\xff";
  e.meta.etag = "3.9f";
  e.meta.size = 4;
  e.meta.mtime = absl::FromUnixMicros(1700000000000001);
  e.meta.expires = absl::FromUnixMicros(1700000060000000);
  e.meta.revision = 7;
  e.value = std::string("x\0y\xfe", 4);
  std::string line;
  hp::AppendListingEntry(e, true, line);
  REQUIRE(line.back() == '\n');
  REQUIRE(line.find("\"key_base64\"") != std::string::npos);
  REQUIRE(line.find("\"value_base64\"") != std::string::npos);
  line.pop_back();
  absl::StatusOr<cask::ScanEntry> back = hp::ParseListingEntry(line);
  REQUIRE(back.ok());
  REQUIRE(back->key == e.key);
  REQUIRE(back->meta.etag == e.meta.etag);
  REQUIRE(back->meta.size == 4);
  REQUIRE(back->meta.mtime == e.meta.mtime);
  REQUIRE(back->meta.expires == e.meta.expires);
  REQUIRE(back->meta.revision == 7);
  REQUIRE(back->value == e.value);
  // Text stays text; without values there is no value field.
  e.key = "k";
  e.meta.expires.reset();
  e.meta.revision = 0;
  std::string plain;
  hp::AppendListingEntry(e, false, plain);
  REQUIRE(plain ==
          "{\"key\":\"k\",\"etag\":\"3.9f\",\"size\":4,"
          "\"mtime_us\":1700000000000001}\n");
  for (const char* bad :
       {"[]", "{}", "{\"key\":\"k\"}",
        "{\"key\":\"k\",\"etag\":\"e\",\"size\":-1}",
        "{\"key\":\"k\",\"etag\":\"e\",\"size\":1.5}",
        "{\"key_base64\":\"!!\",\"etag\":\"e\"}", "not json"}) {
    INFO(bad);
    REQUIRE(hp::ParseListingEntry(bad).status().code() ==
            absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("error bodies round-trip to the same status", "[protocol]") {
  absl::Status mismatch = cask::CasMismatchError("a:b", std::string("e2"));
  int http = hp::HttpStatusFor(mismatch);
  REQUIRE(http == 412);
  absl::Status back = hp::StatusFromErrorBody(
      http, hp::ErrorBody(mismatch, http), "PUT", "a:b", true);
  REQUIRE(back.code() == absl::StatusCode::kAborted);
  REQUIRE(cask::CurrentEtag(back) == std::optional<std::string>("e2"));
  absl::Status full = absl::ResourceExhaustedError("value too large");
  REQUIRE(
      hp::StatusFromErrorBody(413, hp::ErrorBody(full, 413), "PUT", "k", true)
          .code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(hp::StatusFromErrorBody(504, "gateway", "PUT", "k", true).code() ==
          absl::StatusCode::kUnknown);
  REQUIRE(hp::StatusFromErrorBody(429, "", "GET", "k", false).code() ==
          absl::StatusCode::kUnavailable);
}

TEST_CASE("a server's huge or hostile error body gives a short message",
          "[protocol][limits]") {
  const std::string huge = "\x1b[2J" + std::string(1 << 20, 'm');
  // JSON with a message, and a body that is not JSON at all.
  for (const std::string& body :
       {"{\"code\":\"INTERNAL\",\"message\":\"\\u001b[2J" +
            std::string(1 << 20, 'm') + "\"}",
        huge}) {
    absl::Status s =
        hp::StatusFromErrorBody(500, body, "GET \"k\"", "k", false);
    CHECK(s.code() == absl::StatusCode::kInternal);
    CHECK_SHORT_AND_PRINTABLE(s.message(), 2048);
    CHECK(s.message().find("\\x1b[2Jmmm") != absl::string_view::npos);
  }
  // A mismatch whose current etag and conflicts are a megabyte each.
  const std::string json_huge = std::string(1 << 20, 'e');
  absl::Status one = hp::StatusFromErrorBody(
      412,
      "{\"code\":\"ABORTED\",\"current_etag\":\"\\u0007" + json_huge + "\"}",
      "PUT", "k", true);
  CHECK(one.code() == absl::StatusCode::kAborted);
  CHECK_SHORT_AND_PRINTABLE(one.message(), 2048);
  absl::Status commit = hp::StatusFromErrorBody(
      412,
      "{\"code\":\"ABORTED\",\"conflicts\":[{\"key\":\"k\",\"expected\":"
      "\"\\u0007" +
          json_huge + "\",\"actual\":\"" + json_huge + "\"}]}",
      "POST", "", true);
  CHECK(commit.code() == absl::StatusCode::kAborted);
  CHECK_SHORT_AND_PRINTABLE(commit.message(), 2048);
}

TEST_CASE("a malformed etag header is quoted, not echoed whole",
          "[protocol][limits]") {
  absl::StatusOr<std::vector<std::string>> tags =
      hp::ParseEtagList("If-Match", "\x1b[31m" + std::string(50 << 20, 'e'));
  REQUIRE(tags.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_SHORT_AND_PRINTABLE(tags.status().message(), 1024);
}

TEST_CASE("metadata headers round-trip", "[protocol]") {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  cask::Meta meta;
  meta.etag = "W/x";
  meta.mtime = absl::FromUnixMicros(1699999999123456);
  meta.size = 42;
  meta.revision = 7;
  meta.expires = now + absl::Seconds(10);
  auto headers = hp::MetaHeaders(meta, now);
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return std::nullopt;
  };
  REQUIRE(lookup("X-TTL") == std::optional<std::string>("10"));
  cask::Meta back = hp::MetaFromHeaders(lookup, 0, now);
  REQUIRE(back.etag == meta.etag);
  REQUIRE(back.mtime == meta.mtime);
  REQUIRE(back.size == meta.size);
  REQUIRE(back.revision == meta.revision);
  REQUIRE(back.expires == meta.expires);
}

TEST_CASE("the feed JSON round-trips", "[protocol]") {
  hp::Feed feed;
  cask::ChangeEvent e;
  e.revision = 9;
  e.key = "a:b";
  e.kind = cask::ChangeKind::kDelete;
  e.time = absl::FromUnixMicros(5);
  feed.events.push_back(e);
  feed.last_revision = 9;
  auto back = hp::ParseFeedJson(hp::FeedJson(feed));
  REQUIRE(back.ok());
  REQUIRE(back->last_revision == 9);
  REQUIRE(back->events.size() == 1);
  REQUIRE(back->events[0].key == "a:b");
  REQUIRE(back->events[0].kind == cask::ChangeKind::kDelete);
  REQUIRE(back->events[0].time == e.time);
  REQUIRE(hp::ParseFeedJson("[1]").status().code() ==
          absl::StatusCode::kDataLoss);
  REQUIRE(hp::ParseFeedJson("{\"events\":[{\"key\":1}]}").status().code() ==
          absl::StatusCode::kDataLoss);
}
