// The s3 adapter's status mappings, on moto (CASK_TEST_S3_URL): every
// answer docs/adapters/objectstore.md names under "Errors", checked by its
// exact code. The few answers moto cannot be made to give (409
// ConditionalRequestConflict, 5xx) are checked on the translation function
// itself; a dropped connection is produced by a socket that reads the
// request and closes.
#define CATCH_CONFIG_RUNNER
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include "object_http.h"
#include "s3_errors.h"
#include "s3_store.h"
#include "status_test_util.h"

namespace {

using cask::Driver;
using cask::Precondition;
using cask::objstore_test::ClosedPort;
using cask::objstore_test::When;
using cask::objstore_test::WithPrefix;

std::string BaseUrl() { return std::getenv("CASK_TEST_S3_URL"); }

std::unique_ptr<Driver> Fresh() {
  auto store = cask::OpenS3StoreUri(WithPrefix(
      BaseUrl(), absl::StrCat("status-", cask::objstore::RandomHex(8))));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE("if-match on a missing key: S3's 404 is a mismatch", "[s3]") {
  auto store = Fresh();
  auto r = store->Set("missing", "v", When(Precondition::IfMatch("0123abcd")));
  REQUIRE_CODE(r, absl::StatusCode::kAborted);
  REQUIRE_FALSE(cask::CurrentEtag(r.status()).has_value());
  REQUIRE_CODE(store->Remove("missing", Precondition::IfMatch("0123abcd")),
               absl::StatusCode::kAborted);
  REQUIRE_FALSE(*store->Has("missing"));
}

TEST_CASE("412 on a stale if-match or an existing create-only is a mismatch",
          "[s3]") {
  auto store = Fresh();
  std::string etag = *store->Set("k", "v1");
  auto stale = store->Set("k", "v2", When(Precondition::IfMatch("0123abcd")));
  REQUIRE_CODE(stale, absl::StatusCode::kAborted);
  REQUIRE(cask::CurrentEtag(stale.status()) == etag);
  auto exists = store->Set("k", "v2", When(Precondition::CreateOnly()));
  REQUIRE_CODE(exists, absl::StatusCode::kAborted);
  REQUIRE(cask::CurrentEtag(exists.status()) == etag);
  REQUIRE_CODE(store->Remove("k", Precondition::IfMatch("0123abcd")),
               absl::StatusCode::kAborted);
  REQUIRE(store->Get("k")->value == "v1");
}

TEST_CASE("etag is the unquoted MD5 of the content", "[s3]") {
  auto store = Fresh();
  // md5("hello")
  REQUIRE(*store->Set("k", "hello") == "5d41402abc4b2a76b9719d911017c592");
  REQUIRE(store->GetMeta("k")->etag == "5d41402abc4b2a76b9719d911017c592");
}

TEST_CASE("server down is kUnavailable, nothing sent", "[s3]") {
  std::string uri =
      absl::StrCat("s3://cask-test/x?endpoint=http://127.0.0.1:", ClosedPort(),
                   "&access_key=a&secret_key=b");
  auto store = cask::OpenS3StoreUri(uri);
  REQUIRE(store.ok());
  REQUIRE_CODE((*store)->Get("k"), absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->GetMeta("k"), absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Set("k", "v"), absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Set("k", "v", When(Precondition::CreateOnly())),
               absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Set("k", "v", When(Precondition::IfNoneMatch("e"))),
               absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Remove("k", Precondition::IfMatch("e")),
               absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Keys(), absl::StatusCode::kUnavailable);
  REQUIRE_CODE((*store)->Clear(), absl::StatusCode::kUnavailable);
  REQUIRE_CODE(cask::OpenS3StoreUri(absl::StrCat(uri, "&create_bucket=1")),
               absl::StatusCode::kUnavailable);
}

TEST_CASE("connection dropped after a write was sent is kUnknown", "[s3]") {
  // A listener that reads one request and hangs up without answering.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([fd] {
    for (int i = 0; i < 2; ++i) {
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      ssize_t n = read(c, buf, sizeof buf);
      (void)n;
      close(c);
    }
  });
  auto store = cask::OpenS3StoreUri(absl::StrCat(
      "s3://cask-test/x?endpoint=http://127.0.0.1:", ntohs(addr.sin_port),
      "&access_key=a&secret_key=b"));
  REQUIRE(store.ok());
  auto put = (*store)->Set("k", "v", When(Precondition::IfMatch("e")));
  REQUIRE_CODE(put, absl::StatusCode::kUnknown);
  REQUIRE(absl::StrContains(put.status().message(), "outcome is unknown"));
  // A read that loses its connection is merely unavailable.
  REQUIRE_CODE((*store)->Get("k"), absl::StatusCode::kUnavailable);
  server.join();
  close(fd);
}

TEST_CASE("a missing bucket is kFailedPrecondition, not a missing key",
          "[s3]") {
  std::string base = BaseUrl();
  std::string uri =
      absl::StrReplaceAll(base, {{"s3://cask-test", "s3://cask-no-such-bucket"},
                                 {"create_bucket=1", "create_bucket=0"}});
  auto store = cask::OpenS3StoreUri(uri);
  REQUIRE(store.ok());
  REQUIRE_CODE((*store)->Get("k"), absl::StatusCode::kFailedPrecondition);
  REQUIRE_CODE((*store)->Set("k", "v", When(Precondition::IfMatch("e"))),
               absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("the translation table for answers moto does not give", "[s3]") {
  using cask::s3::ClassifyWrite;
  using cask::s3::S3Error;
  using cask::s3::WriteVerdict;
  using cask::transport::HttpResponse;
  auto answer = [](long status, std::string code) {
    HttpResponse r;
    r.status = status;
    r.body = absl::StrCat("<Error><Code>", code,
                          "</Code><Message>m</Message></Error>");
    return r;
  };
  HttpResponse conflict = answer(409, "ConditionalRequestConflict");
  REQUIRE(ClassifyWrite(conflict, true) == WriteVerdict::kConflict);
  REQUIRE(S3Error("put", "k", conflict, true).code() ==
          absl::StatusCode::kUnavailable);
  REQUIRE(ClassifyWrite(answer(412, "PreconditionFailed"), false) ==
          WriteVerdict::kConditionFailed);
  REQUIRE(ClassifyWrite(answer(404, "NoSuchKey"), true) ==
          WriteVerdict::kConditionFailed);
  REQUIRE(ClassifyWrite(answer(404, "NoSuchBucket"), true) ==
          WriteVerdict::kError);
  REQUIRE(S3Error("put", "k", answer(500, "InternalError"), true).code() ==
          absl::StatusCode::kUnknown);
  REQUIRE(S3Error("get", "k", answer(500, "InternalError"), false).code() ==
          absl::StatusCode::kUnavailable);
  REQUIRE(S3Error("put", "k", answer(503, "SlowDown"), true).code() ==
          absl::StatusCode::kUnavailable);
  REQUIRE(S3Error("put", "k", answer(400, "EntityTooLarge"), true).code() ==
          absl::StatusCode::kResourceExhausted);
  REQUIRE(S3Error("put", "k", answer(403, "AccessDenied"), true).code() ==
          absl::StatusCode::kPermissionDenied);
}

TEST_CASE("bad URIs are kInvalidArgument", "[s3]") {
  for (const char* uri :
       {"s3://", "s3:///prefix?access_key=a&secret_key=b",
        "s3://b?access_key=a&secret_key=b&path_style=maybe",
        "s3://b?access_key=a&secret_key=b&conflict_retries=x",
        "s3://b/a//c?access_key=a&secret_key=b",
        "redis://b?access_key=a&secret_key=b",
        "s3://b?access_key=a&secret_key=b&endpont=http://x"}) {
    INFO(uri);
    REQUIRE_CODE(cask::OpenS3StoreUri(uri), absl::StatusCode::kInvalidArgument);
  }
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  REQUIRE_CODE(cask::OpenS3StoreUri("s3://b"),
               absl::StatusCode::kInvalidArgument);
}

TEST_CASE("virtual-host addressing reaches the same objects", "[s3]") {
  // bucket.localhost: libcurl resolves *.localhost to the loopback itself.
  std::string prefix = absl::StrCat("vhost-", cask::objstore::RandomHex(8));
  std::string path_uri = WithPrefix(BaseUrl(), prefix);
  std::string vhost_uri = absl::StrCat(
      absl::StrReplaceAll(path_uri, {{"http://127.0.0.1", "http://localhost"}}),
      "&path_style=0");
  auto vhost = cask::OpenS3StoreUri(vhost_uri);
  REQUIRE(vhost.ok());
  auto path = cask::OpenS3StoreUri(path_uri);
  REQUIRE(path.ok());
  std::string etag =
      *(*vhost)->Set("a:b", "v", When(Precondition::CreateOnly()));
  REQUIRE((*path)->Get("a:b")->meta.etag == etag);
  REQUIRE(*(*vhost)->Keys() == std::vector<std::string>{"a:b"});
  REQUIRE((*vhost)->Remove("a:b", Precondition::IfMatch(etag)).ok());
  REQUIRE_FALSE(*(*path)->Has("a:b"));
}

TEST_CASE("awkward keys round-trip and list", "[s3]") {
  auto store = Fresh();
  const std::vector<std::string> keys = {
      "a b",   "x#y", "q?r", "p%41", "t~u+v", "it's", "\xc3\xa9t\xc3\xa9",
      "amp&lt"};
  for (const std::string& k : keys) {
    INFO(k);
    REQUIRE(store->Set(absl::StrCat("w:", k), k).ok());
    REQUIRE(store->Get(absl::StrCat("w:", k))->value == k);
  }
  auto listed = store->Keys("w");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == keys.size());
  for (const std::string& k : keys) {
    REQUIRE(std::find(listed->begin(), listed->end(), absl::StrCat("w:", k)) !=
            listed->end());
  }
  REQUIRE(store->Clear("w").ok());
  REQUIRE(store->Keys()->empty());
}

TEST_CASE("a 100 MiB value round-trips in one PUT", "[s3][large]") {
  auto store = Fresh();
  std::string big(100u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>(i >> 12);
  auto etag = store->Set("big", big, When(Precondition::CreateOnly()));
  INFO(etag.status().ToString());
  REQUIRE(etag.ok());
  auto item = store->Get("big");
  REQUIRE(item.ok());
  REQUIRE(item->meta.etag == *etag);
  REQUIRE(item->value == big);
  REQUIRE(store->GetMeta("big")->size == big.size());
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CASK_TEST_S3_URL");
  if (url == nullptr || *url == '\0') {
    std::printf("SKIPPED s3_status_test: CASK_TEST_S3_URL is not set\n");
    std::fprintf(
        stderr,
        "\n*** SKIPPED: s3_status_test: CASK_TEST_S3_URL is not set ***\n");
    return 77;
  }
  if (auto probe = cask::OpenS3StoreUri(url);
      !probe.ok() && absl::IsUnavailable(probe.status())) {
    std::fprintf(stderr, "\n*** SKIPPED: s3_status_test: %s ***\n",
                 probe.status().ToString().c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
