// Internals of the multi-process layer shared by ipc_server.cc and
// ipc_shared.cc. Not installed.
#ifndef CASK_ENGINE_ROCKSDB_IPC_INTERNAL_H_
#define CASK_ENGINE_ROCKSDB_IPC_INTERNAL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine_impl.h"
#include "ipc.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

// The outcome key a forwarded write on this thread records (empty: none).
// Set by Service around the engine call; read by EngineImpl's Do* writes.
const std::string& ThreadOutcomeKey();

// Socket helpers. A path too long for sun_path is reached through
// /proc/self/fd/<directory fd>/cask.sock.
absl::StatusOr<int> ConnectSocket(const std::string& dir);
bool ReadFull(int fd, char* buf, std::size_t n);
bool WriteAll(int fd, std::string_view data);
// Sends one frame (header + payload).
bool SendFrame(int fd, Type type, std::uint64_t call, std::string_view payload);

// Executes decoded requests on the owner's engine; exactly-once for writes
// that carry a request id.
class Service {
 public:
  explicit Service(Engine* engine) : engine_(engine) {}
  // The response payload for one request, or an error when the payload is
  // malformed (then the connection closes; nothing was executed).
  absl::StatusOr<std::string> Handle(Type type, std::string_view payload);
  Engine* engine() const { return engine_; }

 private:
  // Waits while a request with the same id is executing, then marks it.
  void Enter(const std::string& key);
  void Leave(const std::string& key);
  absl::StatusOr<std::optional<CommitResult>> RecordedOutcome(
      const std::string& key);

  Engine* const engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> in_flight_;
};

// Serves `service` on the store directory's socket.
class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(const std::string& dir,
                                                       Service* service);
  ~Server();

 private:
  struct Conn;
  Server(std::string dir, Service* service)
      : dir_(std::move(dir)), service_(service) {}
  void AcceptLoop();
  void ReadLoop(std::shared_ptr<Conn> conn);
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

#endif  // CASK_ENGINE_ROCKSDB_IPC_INTERNAL_H_
