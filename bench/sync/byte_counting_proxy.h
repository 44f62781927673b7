// A TCP forwarder on 127.0.0.1 that counts the bytes it carries both ways,
// so the sync benchmark can report the bytes a convergence put on the wire
// (request and answer framing included), whatever the remote's protocol.
#ifndef CASK_BENCH_SYNC_BYTE_COUNTING_PROXY_H_
#define CASK_BENCH_SYNC_BYTE_COUNTING_PROXY_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cask::bench {

class ByteCountingProxy {
 public:
  // Forwards every connection made to port() to upstream_port on
  // 127.0.0.1. Exits the process if it cannot listen.
  explicit ByteCountingProxy(int upstream_port);
  ~ByteCountingProxy();
  ByteCountingProxy(const ByteCountingProxy&) = delete;
  ByteCountingProxy& operator=(const ByteCountingProxy&) = delete;

  int port() const { return port_; }
  std::uint64_t bytes_up() const { return up_.load(); }
  std::uint64_t bytes_down() const { return down_.load(); }
  void ResetCounts() {
    up_ = 0;
    down_ = 0;
  }

 private:
  void AcceptLoop();
  static void Pump(int from, int to, std::atomic<std::uint64_t>& count);

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<std::uint64_t> up_{0}, down_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace cask::bench

#endif  // CASK_BENCH_SYNC_BYTE_COUNTING_PROXY_H_
