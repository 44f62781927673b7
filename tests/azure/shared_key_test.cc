// Pins the Azure Shared Key canonicalisation (objectstore_common/
// azure_shared_key.h) to the documented format, with a signature computed
// independently (Python's hmac) for the emulator's published key.
#include "azure_shared_key.h"
#include "catch2/catch.hpp"

namespace cask::objstore {
namespace {

transport::HttpRequest SampleBlobPut() {
  transport::HttpRequest r;
  r.method = "PUT";
  r.url =
      "http://127.0.0.1:10000/devstoreaccount1/c/"
      "a%2Fb?restype=container&comp=list";
  r.headers = {{"Content-Type", "application/octet-stream"},
               {"If-Match", "\"0x1\""},
               {"x-ms-version", "2021-08-06"},
               {"X-Ms-Blob-Type", " BlockBlob "},
               {"x-ms-date", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  r.body = "hello";
  r.has_body = true;
  return r;
}

TEST_CASE("SplitUrl keeps the encoded path and the raw query", "[shared-key]") {
  std::string path, query;
  SplitUrl("http://h:1/acct/c/a%2Fb?x=1&y=%2F", &path, &query);
  REQUIRE(path == "/acct/c/a%2Fb");
  REQUIRE(query == "x=1&y=%2F");
  SplitUrl("https://acct.blob.core.windows.net", &path, &query);
  REQUIRE(path == "/");
  REQUIRE(query.empty());
}

TEST_CASE("blob resource: every parameter, lower-cased, sorted, decoded",
          "[shared-key]") {
  REQUIRE(CanonicalizedResource(
              AzureService::kBlob, "acct", "/acct/c",
              "restype=container&COMP=list&prefix=a%2Fb&b=2&b=1") ==
          "/acct/acct/c\nb:1,2\ncomp:list\nprefix:a/b\nrestype:container");
  REQUIRE(CanonicalizedResource(AzureService::kBlob, "acct", "/c/x", "") ==
          "/acct/c/x");
}

TEST_CASE("table resource: only comp", "[shared-key]") {
  REQUIRE(CanonicalizedResource(AzureService::kTable, "acct", "/acct/t()",
                                "$filter=a&comp=metadata") ==
          "/acct/acct/t()?comp=metadata");
  REQUIRE(CanonicalizedResource(AzureService::kTable, "acct", "/acct/t()",
                                "$filter=a") == "/acct/acct/t()");
}

TEST_CASE("blob string to sign: 12 headers, x-ms-* sorted, resource",
          "[shared-key]") {
  REQUIRE(
      StringToSign(AzureService::kBlob, "devstoreaccount1", SampleBlobPut()) ==
      "PUT\n\n\n5\n\napplication/octet-stream\n\n\n\"0x1\"\n\n\n\n"
      "x-ms-blob-type:BlockBlob\nx-ms-date:Sun, 06 Nov 1994 08:49:37 GMT\n"
      "x-ms-version:2021-08-06\n"
      "/devstoreaccount1/devstoreaccount1/c/"
      "a%2Fb\ncomp:list\nrestype:container");
  // Content-Length is empty, not "0", for an empty body.
  transport::HttpRequest empty = SampleBlobPut();
  empty.body = "";
  REQUIRE(StringToSign(AzureService::kBlob, "devstoreaccount1", empty)
              .rfind("PUT\n\n\n\n\napplication/octet-stream\n", 0) == 0);
}

TEST_CASE("table string to sign: verb, md5, type, date, resource",
          "[shared-key]") {
  transport::HttpRequest r;
  r.method = "GET";
  r.url =
      "http://127.0.0.1:10002/devstoreaccount1/t(PartitionKey='p',RowKey='r')";
  r.headers = {{"x-ms-date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Accept", "x"}};
  REQUIRE(StringToSign(AzureService::kTable, "devstoreaccount1", r) ==
          "GET\n\n\nSun, 06 Nov 1994 08:49:37 GMT\n"
          "/devstoreaccount1/devstoreaccount1/t(PartitionKey='p',RowKey='r')");
}

TEST_CASE("HMAC-SHA256 with the published emulator key", "[shared-key]") {
  absl::StatusOr<std::string> sig = HmacSha256Base64(
      kDevAccountKey,
      StringToSign(AzureService::kBlob, "devstoreaccount1", SampleBlobPut()));
  REQUIRE(sig.ok());
  // base64(hmac.new(b64decode(key), string_to_sign, sha256)) in Python.
  REQUIRE(*sig == "QxIMEMVpOP3R2qb3iDyPNVCVNmHhGNLO2t6KJi1HTGc=");
  REQUIRE(HmacSha256Base64("not base64!", "x").status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Authorize signs with the key, or appends the SAS", "[shared-key]") {
  AzureCredentials key{"devstoreaccount1", std::string(kDevAccountKey), ""};
  transport::HttpRequest r = SampleBlobPut();
  r.headers.resize(2);
  REQUIRE(
      Authorize(AzureService::kBlob, key, absl::FromUnixSeconds(784111777), &r)
          .ok());
  bool has_auth = false;
  for (const auto& [n, v] : r.headers) {
    if (n == "x-ms-date") REQUIRE(v == "Sun, 06 Nov 1994 08:49:37 GMT");
    if (n == "Authorization") {
      has_auth = true;
      REQUIRE(v.rfind("SharedKey devstoreaccount1:", 0) == 0);
    }
  }
  REQUIRE(has_auth);

  AzureCredentials sas{"devstoreaccount1", "", "sv=2021-08-06&sig=a%2Bb"};
  transport::HttpRequest s = SampleBlobPut();
  REQUIRE(Authorize(AzureService::kBlob, sas, absl::Now(), &s).ok());
  REQUIRE(s.url.substr(s.url.size() - 24) == "&sv=2021-08-06&sig=a%2Bb");
  for (const auto& [n, v] : s.headers) REQUIRE(n != "Authorization");
}

}  // namespace
}  // namespace cask::objstore
