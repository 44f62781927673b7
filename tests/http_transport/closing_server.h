// Test helper: a real HTTP/1.1 server on 127.0.0.1 (a socket and a thread in
// the test process) that answers reads and hangs up on writes.
//
// GET and HEAD get a configurable keep-alive answer, so the client keeps
// the connection for its next request. With an etag configured, GET
// answers carry it, and a GET whose If-None-Match names it is answered
// 304 Not Modified without the body (conditional GET). Any other method (PUT,
// POST, DELETE) is read in full — request line, headers and Content-Length body
// — counted, and then the connection is closed without a byte of answer: the
// server died (or dropped a kept-alive connection) after the write arrived.
// A client that silently re-sends the write shows up as a count above one.
//
// Thread-safe: counters may be read while the server runs.
#ifndef CASK_TESTS_HTTP_TRANSPORT_CLOSING_SERVER_H_
#define CASK_TESTS_HTTP_TRANSPORT_CLOSING_SERVER_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cask::testing {

class ClosingServer {
 public:
  // `read_headers`: extra header lines ("Name: value\r\n"...) on every
  // answer to GET / HEAD; `get_body` the body of a GET answer; `etag`
  // (unquoted, "" for none) the ETag of GET answers.
  explicit ClosingServer(std::string read_headers = "",
                         std::string get_body = "", std::string etag = "");
  ~ClosingServer();
  ClosingServer(const ClosingServer&) = delete;
  ClosingServer& operator=(const ClosingServer&) = delete;

  // POSTs to `path` are reads (etcd's gateway reads by POST): answered
  // like a GET, never hung up on. Call before the first request.
  void TreatPostAsRead(std::string path);

  // "http://127.0.0.1:PORT".
  std::string url() const;
  // Requests with a method other than GET / HEAD received so far.
  int writes_received() const { return writes_.load(); }
  // GET answers sent with the body (200) / without it (304).
  int full_answers() const { return full_answers_.load(); }
  int not_modified_answers() const { return not_modified_.load(); }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }
  // "METHOD /path" of every request, in arrival order.
  std::vector<std::string> requests() const;

 private:
  void Serve();
  void Handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::string read_headers_;
  std::string get_body_;
  std::string etag_;
  std::vector<std::string> post_reads_;
  std::atomic<int> full_answers_{0};
  std::atomic<int> not_modified_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> writes_{0};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<std::thread> handlers_;
  std::thread acceptor_;
};

}  // namespace cask::testing

#endif  // CASK_TESTS_HTTP_TRANSPORT_CLOSING_SERVER_H_
