// Server: serves a Service on the store directory's socket (the owner's
// side of docs/processes.md). A reader thread per connection answers reads
// itself and hands writes to a pool of workers, so that the pipelined
// writes of all clients reach the engine's write queue together (group
// commit). A client that asks for a ring (kAttachRing) gets one, served by
// a RingServer beside the reader (ipc_ring_server.h).
//
// Thread safety: Start and the destructor from one thread.
#ifndef CASK_ENGINE_ROCKSDB_IPC_SERVER_H_
#define CASK_ENGINE_ROCKSDB_IPC_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ipc_service.h"

namespace cask::engine::ipc {

class Server {
 public:
  // Binds `dir`/cask.sock (mode 0600; a stale socket file is replaced:
  // only the holder of the owner's lock calls this) and starts serving.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const std::string& dir,
                                                       Service* service);
  // Removes the socket, closes every connection, waits for the threads.
  ~Server();

 private:
  struct Conn;
  Server(std::string dir, Service* service)
      : dir_(std::move(dir)), service_(service) {}
  void AcceptLoop();
  void ReadLoop(std::shared_ptr<Conn> conn);
  // Answers a kAttachRing request: creates the connection's ring, sends it
  // and starts serving it. False when the connection must close.
  bool AttachRing(Conn& conn, std::uint64_t call, const std::string& payload);
  void WorkLoop();

  const std::string dir_;
  Service* const service_;
  int listen_fd_ = -1;
  int wake_fd_[2] = {-1, -1};
  std::string socket_path_;
  std::thread accept_thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
};

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_SERVER_H_
