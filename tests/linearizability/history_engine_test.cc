// Recorded histories of the engine (cask::OpenStore("cask://...")) from 4
// client threads sharing one open store. (Several processes: lin_processes in
// tests/processes.)
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cask/open.h"
#include "catch2/catch.hpp"
#include "history_test_util.h"

namespace cask::lin {
namespace {

TEST_CASE("engine: recorded histories are linearizable") {
  const int histories = HistoriesToRun(10);
  RunStats stats;
  for (int i = 0; i < histories; ++i) {
    std::string dir = KeepDir() + "/cask-lin-engine-XXXXXX";
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    absl::StatusOr<std::unique_ptr<Driver>> store =
        OpenStore("cask://" + dir + "/store");
    INFO(store.status().ToString());
    REQUIRE(store.ok());
    WorkloadOptions options;
    options.seed = static_cast<std::uint64_t>(i) + 1;
    options.commits = (*store)->capabilities().atomic_batch;
    RunResult run = RunThreads({store->get()}, options);
    stats.Add(run.history);
    RequireLinearizable(run, absl::StrCat("engine-", i));
    store->reset();
    std::filesystem::remove_all(dir);
  }
  WARN("engine: " << stats.ToString() << ", all linearizable");
}

}  // namespace
}  // namespace cask::lin
