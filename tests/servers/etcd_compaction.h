// Test helper: compacts a test etcd's history, so the tests of the etcd
// change feed and of sync over etcd can meet a compacted revision.
// Header-only; uses Catch2 assertions and libcurl.
#ifndef CASK_TESTS_SERVERS_ETCD_COMPACTION_H_
#define CASK_TESTS_SERVERS_ETCD_COMPACTION_H_

#include <curl/curl.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"

namespace cask::testing {

// Compacts the history of the etcd at `etcd_uri` (etcd://127.0.0.1:PORT…)
// up to `revision` (POST /v3/kv/compaction).
inline void CompactEtcd(const std::string& etcd_uri, std::uint64_t revision) {
  std::string port = etcd_uri.substr(etcd_uri.rfind(':') + 1);
  port = port.substr(0, port.find_first_of("/?"));
  std::string url =
      absl::StrCat("http://127.0.0.1:", port, "/v3/kv/compaction");
  std::string body = absl::StrCat("{\"revision\":\"", revision, "\"}");
  CURL* c = curl_easy_init();
  REQUIRE(c != nullptr);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION,
      +[](char*, std::size_t s, std::size_t n, void*) { return s * n; });
  REQUIRE(curl_easy_perform(c) == CURLE_OK);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  REQUIRE(status == 200);
}

}  // namespace cask::testing

#endif  // CASK_TESTS_SERVERS_ETCD_COMPACTION_H_
