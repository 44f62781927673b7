// A conditional write is never sent twice. libcurl re-sends a request on a
// fresh connection when a reused keep-alive connection dies before any
// answer byte; for a compare-and-swap that second copy can apply the write
// twice or report a false mismatch for the first copy's own success. These
// tests drive each client against ClosingServer, which answers reads on a
// kept-alive connection and hangs up on every write once it has arrived,
// and count the writes that reached it.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "cask/batch.h"
#include "catch2/catch.hpp"
#include "closing_server.h"
#include "etcd_store.h"
#include "http_store.h"
#include "http_transport.h"

namespace cask {
namespace {

using testing::ClosingServer;
using transport::HttpRequest;
using transport::HttpTransport;
using transport::RequestKind;

// A GET that leaves a kept-alive connection in the transport's pool.
void OpenKeptAliveConnection(HttpTransport& transport,
                             const ClosingServer& server) {
  HttpRequest get;
  get.url = server.url() + "/bucket/k";
  absl::StatusOr<transport::HttpResponse> r = transport.Send(get, "get");
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
}

Precondition IfMatch(std::string etag) {
  Precondition p;
  p.if_match = std::vector<std::string>{std::move(etag)};
  return p;
}

std::unique_ptr<Driver> HttpClientOf(const ClosingServer& server) {
  HttpOptions options;
  options.base_url = server.url();
  options.request_timeout_ms = 20000;  // catches a hang, never reached
  absl::StatusOr<std::unique_ptr<Driver>> store =
      CreateHttpStore(std::move(options));
  REQUIRE(store.ok());
  return *std::move(store);
}

TEST_CASE(
    "transport: a conditional PUT with a body on a kept-alive "
    "connection is sent once; a lost answer is kUnknown") {
  ClosingServer server;
  HttpTransport transport;
  OpenKeptAliveConnection(transport, server);
  HttpRequest put;
  put.method = "PUT";
  put.url = server.url() + "/bucket/k";
  put.headers = {{"If-Match", "\"e1\""}};
  put.body = "value";
  put.has_body = true;
  put.kind = RequestKind::kWrite;
  absl::StatusOr<transport::HttpResponse> r = transport.Send(put, "put");
  CHECK(server.writes_received() == 1);
  CHECK(r.status().code() == absl::StatusCode::kUnknown);
}

TEST_CASE(
    "transport: a conditional DELETE on a kept-alive connection is "
    "sent once; a lost answer is kUnknown") {
  ClosingServer server;
  HttpTransport transport;
  OpenKeptAliveConnection(transport, server);
  HttpRequest del;
  del.method = "DELETE";
  del.url = server.url() + "/bucket/k";
  del.headers = {{"If-Match", "\"e1\""}};
  del.kind = RequestKind::kWrite;
  absl::StatusOr<transport::HttpResponse> r = transport.Send(del, "delete");
  CHECK(server.writes_received() == 1);
  CHECK(r.status().code() == absl::StatusCode::kUnknown);
}

TEST_CASE("transport: a refused connection is kUnavailable, nothing sent") {
  std::string url;
  {
    ClosingServer server;
    url = server.url();
  }  // closed: nothing listens on its port any more
  HttpTransport transport;
  HttpRequest put;
  put.method = "PUT";
  put.url = url + "/bucket/k";
  put.body = "v";
  put.has_body = true;
  put.kind = RequestKind::kWrite;
  absl::StatusOr<transport::HttpResponse> r = transport.Send(put, "put");
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE(
    "transport: a deadline already past is kDeadlineExceeded, nothing "
    "sent") {
  ClosingServer server;
  HttpTransport transport;
  HttpRequest put;
  put.method = "PUT";
  put.url = server.url() + "/bucket/k";
  put.kind = RequestKind::kWrite;
  put.deadline = absl::Now() - absl::Seconds(1);
  absl::StatusOr<transport::HttpResponse> r = transport.Send(put, "put");
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(server.connections() == 0);
}

TEST_CASE(
    "http adapter: a conditional DELETE on a kept-alive connection is "
    "sent once; a lost answer is kUnknown") {
  ClosingServer server("X-Cask-CAS: 1\r\nX-Cask-Features: commit\r\n");
  std::unique_ptr<Driver> store = HttpClientOf(server);
  // The capability probe (HEAD /) leaves a kept-alive connection.
  absl::Status s = store->Remove("k", IfMatch("e1"));
  CHECK(server.writes_received() == 1);
  CHECK(s.code() == absl::StatusCode::kUnknown);
}

TEST_CASE(
    "http adapter: a conditional PUT on a kept-alive connection is "
    "sent once; a lost answer is kUnknown") {
  ClosingServer server("X-Cask-CAS: 1\r\n");
  std::unique_ptr<Driver> store = HttpClientOf(server);
  WriteOptions options;
  options.precondition = IfMatch("e1");
  absl::StatusOr<std::string> etag = store->Set("k", "value", options);
  CHECK(server.writes_received() == 1);
  CHECK(etag.status().code() == absl::StatusCode::kUnknown);
}

TEST_CASE(
    "http adapter: an atomic commit on a kept-alive connection is sent "
    "once; a lost answer is kUnknown") {
  ClosingServer server("X-Cask-CAS: 1\r\nX-Cask-Features: commit\r\n");
  std::unique_ptr<Driver> store = HttpClientOf(server);
  WriteOptions options;
  options.precondition = IfMatch("e1");
  Batch batch;
  batch.Put("a", "1", options);
  absl::StatusOr<CommitResult> r = store->Commit(batch);
  CHECK(server.writes_received() == 1);
  CHECK(r.status().code() == absl::StatusCode::kUnknown);
}

TEST_CASE(
    "etcd adapter: a compare-and-swap txn on a kept-alive connection "
    "is sent once; a lost answer is kUnknown") {
  ClosingServer server("", "{}");
  server.TreatPostAsRead("/v3/kv/range");  // the open's ping
  EtcdOptions options;
  options.host = "127.0.0.1";
  options.port = static_cast<std::uint16_t>(
      std::stoi(server.url().substr(server.url().rfind(':') + 1)));
  options.timeout = absl::Seconds(20);  // catches a hang, never reached
  absl::StatusOr<std::unique_ptr<Driver>> store = OpenEtcdStore(options);
  REQUIRE(store.ok());
  WriteOptions swap;
  swap.precondition = IfMatch("5");
  absl::StatusOr<std::string> etag = (*store)->Set("k", "value", swap);
  CHECK(server.writes_received() == 1);
  CHECK(etag.status().code() == absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace cask
