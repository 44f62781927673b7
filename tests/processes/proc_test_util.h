// Catch2 helpers of the multi-process tests: a store owned by separate
// processes (Fixture) and a raw protocol connection (Raw).
#ifndef CASK_TESTS_PROCESSES_PROC_TEST_UTIL_H_
#define CASK_TESTS_PROCESSES_PROC_TEST_UTIL_H_

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "ipc.h"
#include "ipc_socket.h"
#include "ipc_wire.h"
#include "proc_util.h"

namespace cask::processes {

#define REQUIRE_OK(expr)              \
  do {                                \
    auto _s = (expr);                 \
    INFO(std::string(_s.ToString())); \
    REQUIRE(_s.ok());                 \
  } while (0)

// A store in a fresh directory, owned by a separate process, plus
// `standbys` standby processes.
struct Fixture {
  std::string dir;
  std::vector<pid_t> owners;
  explicit Fixture(int standbys = 0, bool buffered = true) {
    dir = processes::MakeTempDir("proc-test");
    REQUIRE(!dir.empty());
    for (int i = 0; i <= standbys; ++i) {
      pid_t pid = processes::SpawnOwner(dir, buffered);
      REQUIRE(pid > 0);
      owners.push_back(pid);
    }
  }
  ~Fixture() {
    for (pid_t pid : owners) {
      kill(pid, SIGCONT);  // a test may have stopped it
      processes::KillAndReap(pid);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::unique_ptr<Engine> Client(
      const EngineOptions& options = processes::TestOptions()) {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(dir, options);
    INFO(std::string(e.status().ToString()));
    REQUIRE(e.ok());
    REQUIRE(engine::ipc::IsClient(**e));
    return *std::move(e);
  }
  // Kills the current owner; returns once another process serves.
  void KillOwner() {
    pid_t owner = processes::WaitForOwner(dir);
    REQUIRE(owner > 0);
    REQUIRE(kill(owner, SIGKILL) == 0);
    REQUIRE(processes::WaitForOwner(dir, owner) > 0);
  }
};

// A raw protocol connection.
struct Raw {
  int fd = -1;
  explicit Raw(const std::string& dir) {
    absl::StatusOr<int> c = engine::ipc::ConnectSocket(dir);
    REQUIRE(c.ok());
    fd = *c;
  }
  ~Raw() { close(fd); }
  bool Send(std::string_view bytes) { return engine::ipc::WriteAll(fd, bytes); }
  // The next frame: (header, payload); header.type 0 at EOF.
  std::pair<engine::ipc::Header, std::string> Next() {
    char head[engine::ipc::kHeaderBytes];
    if (!engine::ipc::ReadFull(fd, head, sizeof head)) return {};
    engine::ipc::Header h = engine::ipc::DecodeHeader(head);
    std::string payload(h.length, '\0');
    if (!engine::ipc::ReadFull(fd, payload.data(), h.length)) return {};
    return {h, payload};
  }
  bool AtEof() {
    char c;
    return recv(fd, &c, 1, 0) == 0;
  }
  // One call; the response's status and body reader.
  std::string Call(engine::ipc::Type type, const std::string& payload,
                   std::uint64_t call = 7) {
    REQUIRE(engine::ipc::SendFrame(fd, type, call, payload));
    auto [h, body] = Next();
    REQUIRE(h.type == static_cast<std::uint8_t>(engine::ipc::Type::kResponse));
    REQUIRE(h.call == call);
    return body;
  }
};

}  // namespace cask::processes

#endif  // CASK_TESTS_PROCESSES_PROC_TEST_UTIL_H_
