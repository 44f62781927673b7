// The conformance suite against the engine: every test case gets a fresh
// store in its own temporary directory. Two programs from this source:
//   engine       default options (durable; small values inline);
//   engine_blob  every value in blob files (min_blob_size 0), buffered
//                durability and a 1 MiB value limit, so the suite also
//                covers the out-of-line read path and the oversized-value
//                block.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "cask/engine.h"
#include "target.h"

namespace {

std::string& Root() {
  static std::string root;
  return root;
}

void RemoveRoot() {
  std::error_code ec;
  if (!Root().empty()) std::filesystem::remove_all(Root(), ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "cask-engine-conf-XXXXXX")
          .string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return cask::conformance::SkipConformance("engine",
                                              "cannot make a temp directory");
  }
  Root() = tmpl;
  std::atexit(RemoveRoot);
  cask::conformance::Target t;
  t.name = std::string_view(CASK_ENGINE_VARIANT) == "blob" ? "engine_blob"
                                                           : "engine";
  t.make_empty = []() -> absl::StatusOr<std::unique_ptr<cask::Driver>> {
    static int n = 0;
    std::string dir = Root() + "/store-" + std::to_string(n++);
    cask::EngineOptions options;
    // Reap expired keys promptly so the ttl tests also exercise the reaper.
    options.maintenance_interval = absl::Milliseconds(50);
    if (std::string_view(CASK_ENGINE_VARIANT) == "blob") {
      options.min_blob_size = 0;
      options.durability = cask::Durability::kBuffered;
      options.max_value_bytes = 1u << 20;
    }
    absl::StatusOr<std::unique_ptr<cask::Engine>> engine =
        cask::Engine::Open(dir, options);
    if (!engine.ok()) return engine.status();
    return std::unique_ptr<cask::Driver>(*std::move(engine));
  };
  // Single-process here (conformance_processes runs the suite across
  // processes): the race tests share one client,
  // whose write queue groups the threads' requests.
  t.multi_process = false;
  return cask::conformance::RunConformance(argc, argv, std::move(t));
}
