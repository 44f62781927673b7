// A store that fails in the middle of a streamed listing: the status line
// is already sent, so cask serve must end the answer unfinished (no final
// chunk, connection closed) and a client must report an error, never take
// the keys it got for the whole listing. evhttp, which sends bodies whole,
// answers the store's error instead.
#define CATCH_CONFIG_MAIN
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catch2/catch.hpp"
#include "http_store.h"
#include "read_only_test_store.h"
#include "server.h"

namespace {

// Its first scan gives a full page that says more follows; every later
// scan fails, as a backend lost between two pages.
class FailsAfterOnePageStore final : public cask::testing::ReadOnlyTestStore {
 public:
  std::string_view name() const override { return "fails-after-one-page"; }
  cask::Capabilities capabilities() const override { return {}; }

 protected:
  absl::StatusOr<cask::ScanPage> DoScan(
      const std::string&, const cask::ScanOptions& options) override {
    if (scans_++ > 0) return absl::UnavailableError("backend went away");
    cask::ScanPage page;
    for (std::size_t i = 0; i < options.limit; ++i) {
      cask::ScanEntry& e = page.entries.emplace_back();
      e.key = absl::StrFormat("k:%06d", i);
      e.meta.etag = "1";
    }
    page.next_after = page.entries.back().key;
    return page;
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(const std::string&) override {
    return absl::UnimplementedError("scan only");
  }

 private:
  std::atomic<int> scans_{0};
};

std::unique_ptr<cask::server::Server> Serve(
    cask::server::TransportKind transport) {
  cask::server::ServerOptions options;
  options.port = 0;
  options.store_threads = 2;
  options.transport = transport;
  auto server = cask::server::Server::Start(
      std::make_shared<FailsAfterOnePageStore>(), options);
  REQUIRE(server.ok());
  return *std::move(server);
}

// Sends `request` and reads until the server closes the connection.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(write(fd, request.data(), request.size()) ==
          static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[65536];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) {
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return answer;
}

TEST_CASE("beast: a store error mid-listing leaves the answer unfinished",
          "[listing]") {
  auto server = Serve(cask::server::TransportKind::kBeast);
  // Keep-alive asked: only the failure may close the connection.
  std::string answer =
      Exchange(server->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  INFO(answer.substr(0, 300));
  REQUIRE(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  REQUIRE(answer.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  REQUIRE(answer.find("\"k/000999\"") != std::string::npos);
  // No last chunk: the client can tell the listing did not end.
  REQUIRE(answer.find("\r\n0\r\n\r\n") == std::string::npos);

  auto client = cask::OpenHttpStoreUri(server->url());
  REQUIRE(client.ok());
  absl::StatusOr<std::vector<std::string>> keys = (*client)->Keys("");
  INFO(keys.status().ToString());
  REQUIRE_FALSE(keys.ok());
}

TEST_CASE("evhttp: a store error mid-listing is the answer", "[listing]") {
  auto server = Serve(cask::server::TransportKind::kEvhttp);
  auto client = cask::OpenHttpStoreUri(server->url());
  REQUIRE(client.ok());
  absl::StatusOr<std::vector<std::string>> keys = (*client)->Keys("");
  REQUIRE(keys.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(keys.status().message().find("backend went away") !=
          std::string::npos);
}

}  // namespace
