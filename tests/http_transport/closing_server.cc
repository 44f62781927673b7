#include "closing_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cask::testing {
namespace {

// Waits up to 100 ms for `fd` to be readable; false on timeout.
bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 100) > 0;
}

// Reads until `buffer` holds `want` bytes, the peer closes or `stop` is set.
bool ReadUntil(int fd, std::string& buffer, std::size_t want,
               const std::atomic<bool>& stop) {
  char chunk[4096];
  while (buffer.size() < want) {
    if (stop.load()) return false;
    if (!Readable(fd)) continue;
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

ClosingServer::ClosingServer(std::string read_headers, std::string get_body,
                             std::string etag)
    : read_headers_(std::move(read_headers)),
      get_body_(std::move(get_body)),
      etag_(std::move(etag)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0) {
    std::perror("ClosingServer");
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Serve(); });
}

ClosingServer::~ClosingServer() {
  stop_.store(true);
  acceptor_.join();
  for (std::thread& t : handlers_) t.join();
  close(listen_fd_);
}

std::string ClosingServer::url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

void ClosingServer::TreatPostAsRead(std::string path) {
  std::lock_guard<std::mutex> lock(mu_);
  post_reads_.push_back(std::move(path));
}

std::vector<std::string> ClosingServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void ClosingServer::Serve() {
  while (!stop_.load()) {
    if (!Readable(listen_fd_)) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    connections_.fetch_add(1);
    handlers_.emplace_back([this, fd] { Handle(fd); });
  }
}

void ClosingServer::Handle(int fd) {
  std::string buffer;
  while (!stop_.load()) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadUntil(fd, buffer, buffer.size() + 1, stop_)) {
        close(fd);
        return;
      }
    }
    std::string head = buffer.substr(0, end);
    std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
    std::vector<std::string> request_line = absl::StrSplit(lines[0], ' ');
    const std::string method = request_line[0];
    std::size_t body = 0;
    std::string if_none_match;
    for (const std::string& line : lines) {
      std::size_t colon = line.find(':');
      if (colon != std::string::npos &&
          absl::EqualsIgnoreCase(line.substr(0, colon), "if-none-match")) {
        if_none_match =
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
      if (colon != std::string::npos &&
          absl::EqualsIgnoreCase(line.substr(0, colon), "content-length")) {
        std::size_t n = 0;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)),
                             &n)) {
          body = n;
        }
      }
    }
    if (!ReadUntil(fd, buffer, end + 4 + body, stop_)) break;
    buffer.erase(0, end + 4 + body);
    const std::string path = request_line.size() > 1 ? request_line[1] : "";
    bool read = method == "GET" || method == "HEAD";
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& p : post_reads_) {
        if (method == "POST" && path == p) read = true;
      }
      requests_.push_back(absl::StrCat(
          method, " ", request_line.size() > 1 ? request_line[1] : ""));
    }
    if (!read) {
      // The write arrived whole; hang up without answering.
      writes_.fetch_add(1);
      break;
    }
    const std::string quoted = absl::StrCat("\"", etag_, "\"");
    const std::string etag_line =
        etag_.empty() ? "" : absl::StrCat("ETag: ", quoted, "\r\n");
    std::string answer;
    if (method == "GET" && !etag_.empty() && if_none_match == quoted) {
      not_modified_.fetch_add(1);
      answer = absl::StrCat("HTTP/1.1 304 Not Modified\r\n", read_headers_,
                            etag_line, "\r\n");
    } else {
      std::string content = method != "HEAD" ? get_body_ : std::string();
      if (method != "HEAD") full_answers_.fetch_add(1);
      answer =
          absl::StrCat("HTTP/1.1 200 OK\r\n", read_headers_, etag_line,
                       "Content-Length: ", content.size(), "\r\n\r\n", content);
    }
    if (write(fd, answer.data(), answer.size()) !=
        static_cast<ssize_t>(answer.size())) {
      break;
    }
  }
  close(fd);
}

}  // namespace cask::testing
