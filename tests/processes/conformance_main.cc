// The conformance suite through a client process's view of the engine:
// every test case gets a fresh store whose owner is a separate process
// (started with proc_util's SpawnOwner); the test process and its forked
// children open the same directory with Engine::Open and so forward every
// operation over the store's socket. multi_process is on: the 4-process
// increment and create-only races run against it.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cask/engine.h"
#include "ipc.h"
#include "proc_util.h"
#include "target.h"

namespace {

std::string& Root() {
  static std::string root;
  return root;
}
std::string& Current() {
  static std::string dir;
  return dir;
}
pid_t& OwnerPid() {
  static pid_t pid = -1;
  return pid;
}

void Cleanup() {
  cask::processes::KillAndReap(OwnerPid());
  std::error_code ec;
  if (!Root().empty()) std::filesystem::remove_all(Root(), ec);
}

absl::StatusOr<std::unique_ptr<cask::Driver>> OpenClient() {
  absl::StatusOr<std::unique_ptr<cask::Engine>> engine =
      cask::Engine::Open(Current(), cask::processes::TestOptions());
  if (!engine.ok()) return engine.status();
  if (!cask::engine::ipc::IsClient(**engine)) {
    return absl::InternalError("expected a client of the owner process");
  }
  return std::unique_ptr<cask::Driver>(*std::move(engine));
}

}  // namespace

int main(int argc, char** argv) {
  cask::processes::MaybeRunOwner(argc, argv);
  cask::engine::ipc::SetTakeoverAllowed(false);  // owners are helpers only
  Root() = cask::processes::MakeTempDir("proc-conf");
  if (Root().empty()) {
    return cask::conformance::SkipConformance("processes",
                                              "cannot make a temp directory");
  }
  std::atexit(Cleanup);
  cask::conformance::Target t;
  t.name = "processes";
  t.make_empty = []() -> absl::StatusOr<std::unique_ptr<cask::Driver>> {
    static int n = 0;
    cask::processes::KillAndReap(OwnerPid());
    Current() = Root() + "/store-" + std::to_string(n++);
    OwnerPid() = cask::processes::SpawnOwner(Current());
    if (OwnerPid() < 0) return absl::InternalError("owner did not start");
    return OpenClient();
  };
  t.open_again = OpenClient;
  t.multi_process = true;
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
