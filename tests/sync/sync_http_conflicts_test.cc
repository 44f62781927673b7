// `cask serve` lists and settles the sync conflicts of the store it serves
// (POST /_cask/sync/conflicts and /_cask/sync/resolve), over real HTTP.
#include <curl/curl.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "nlohmann/json.hpp"
#include "served_engine.h"
#include "server.h"
#include "sync_harness.h"

namespace cask::synctest {
namespace {

struct Answer {
  long status = 0;
  std::string body;
};

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

Answer Post(const std::string& url, const std::string& body) {
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  Answer a;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
  CURLcode rc = curl_easy_perform(curl);
  REQUIRE(rc == CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
  curl_easy_cleanup(curl);
  return a;
}

TEST_CASE("cask serve lists and resolves the served store's sync conflicts",
          "[sync][http]") {
  ServedEngine remote;
  Device a = MakeDevice("a", remote.client());
  Device b = MakeDevice("b", remote.client());
  REQUIRE(a.local->Set("doc", "v0").ok());
  REQUIRE(a.local->Set("pic", "v0").ok());
  Quiesce({&a, &b});
  REQUIRE(a.local->Set("doc", "from-a").ok());
  REQUIRE(a.local->Set("pic", std::string("\xff\x00\x01", 3)).ok());
  REQUIRE(b.local->Set("doc", "from-b").ok());
  REQUIRE(b.local->Set("pic", "from-b").ok());
  REQUIRE(a.sync->RunOnce().ok());
  REQUIRE(b.sync->RunOnce()->unresolved_conflicts == 2);

  // Device b's store, served.
  server::ServerOptions options;
  options.port = 0;
  auto served = server::Server::Start(b.local, options);
  REQUIRE(served.ok());
  std::string base = (*served)->url();

  Answer list = Post(base + "/_cask/sync/conflicts", "");
  REQUIRE(list.status == 200);
  auto doc = nlohmann::json::parse(list.body);
  REQUIRE(doc["conflicts"].size() == 2);
  const auto& c0 = doc["conflicts"][0];
  CHECK(c0["key"] == "doc");
  CHECK(c0["peer"] == "default");
  CHECK(c0["remote_exists"] == true);
  CHECK(c0["remote_value"] == "from-a");
  CHECK(c0["remote_etag"] == remote.client()->GetMeta("doc")->etag);
  CHECK(c0["reason"] == "pull");
  // Bytes that are not UTF-8 travel as base64.
  const auto& c1 = doc["conflicts"][1];
  CHECK(c1["key"] == "pic");
  CHECK_FALSE(c1.contains("remote_value"));
  CHECK(c1["remote_value_base64"] == "/wAB");
  CHECK(
      nlohmann::json::parse(
          Post(base + "/_cask/sync/conflicts?peer=other", "").body)["conflicts"]
          .empty());

  CHECK(Post(base + "/_cask/sync/resolve", R"({"key":"nope","keep":"local"})")
            .status == 404);
  CHECK(Post(base + "/_cask/sync/resolve", R"({"key":"doc","keep":"mine"})")
            .status == 400);
  CHECK(Post(base + "/_cask/sync/resolve", "not json").status == 400);
  CHECK(Post(base + "/_cask/sync/resolve",
             R"({"key":"doc","keep":"local","value":"x"})")
            .status == 400);
  // A merged value whose local precondition fails changes nothing.
  Answer stale = Post(base + "/_cask/sync/resolve",
                      R"({"key":"doc","keep":"merged","value":"m",)"
                      R"("if_match":"no-such-etag"})");
  CHECK(stale.status == 412);
  CHECK(b.local->Get("doc")->value == "from-b");

  Answer merged = Post(base + "/_cask/sync/resolve",
                       R"({"key":"doc","keep":"merged","value":"a+b"})");
  REQUIRE(merged.status == 200);
  CHECK(nlohmann::json::parse(merged.body)["peers"] ==
        nlohmann::json::array({"default"}));
  CHECK(b.local->Get("doc")->value == "a+b");
  REQUIRE(Post(base + "/_cask/sync/resolve",
               R"({"key":"pic","keep":"remote","peer":"default"})")
              .status == 200);
  CHECK(b.local->Get("pic")->value == std::string("\xff\x00\x01", 3));
  CHECK(nlohmann::json::parse(
            Post(base + "/_cask/sync/conflicts", "").body)["conflicts"]
            .empty());

  // The resolutions sync like any write.
  auto r = b.sync->RunOnce();
  REQUIRE(r.ok());
  CHECK(r->unresolved_conflicts == 0);
  CHECK(remote.client()->Get("doc")->value == "a+b");
}

}  // namespace
}  // namespace cask::synctest
