// The dump format in process: round trips, truncation and corruption at
// every byte, --atomic all-or-nothing.
#include "dump.h"

#include <cstdio>

#include "catch2/catch.hpp"
#include "commands.h"
#include "memory_store.h"

namespace cask::testing {
namespace {

std::string Export(Driver& store) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  cli::Context ctx;
  ctx.store = &store;
  ctx.out = out;
  REQUIRE(cli::RunExport(ctx, "").ok());
  std::fclose(out);
  std::string data(buf, size);
  std::free(buf);
  return data;
}

absl::Status Import(Driver& store, const std::string& data, bool atomic) {
  std::FILE* in = fmemopen(const_cast<char*>(data.data()), data.size(), "r");
  std::FILE* out = std::fopen("/dev/null", "w");
  cli::Context ctx;
  ctx.store = &store;
  ctx.in = in;
  ctx.out = out;
  absl::Status s = cli::RunImport(ctx, atomic);
  std::fclose(in);
  std::fclose(out);
  return s;
}

std::unique_ptr<Driver> Memory() { return *CreateMemoryStore(); }

TEST_CASE("dump round-trips keys, bytes and ttl", "[dump]") {
  auto src = Memory();
  REQUIRE(src->Set("a", std::string("\0\1\2", 3)).ok());
  REQUIRE(src->Set("t", "expiring", {{}, absl::Hours(1)}).ok());
  std::string dump = Export(*src);
  auto dst = Memory();
  REQUIRE(Import(*dst, dump, false).ok());
  REQUIRE(dst->Get("a")->value == std::string("\0\1\2", 3));
  REQUIRE(dst->GetMeta("t")->expires.has_value());
}

TEST_CASE("every truncation and every flipped byte is refused", "[dump]") {
  auto src = Memory();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(src->Set("k" + std::to_string(i), std::string(100, 'a' + i)).ok());
  }
  std::string dump = Export(*src);
  for (std::size_t cut = 0; cut < dump.size(); ++cut) {
    auto dst = Memory();
    absl::Status s = Import(*dst, dump.substr(0, cut), /*atomic=*/true);
    INFO("cut at " << cut << ": " << s.ToString());
    REQUIRE_FALSE(s.ok());
    REQUIRE(dst->Keys()->empty());
  }
  for (std::size_t i = 0; i < dump.size(); ++i) {
    std::string bad = dump;
    bad[i] ^= 0x01;
    auto dst = Memory();
    absl::Status s = Import(*dst, bad, /*atomic=*/true);
    INFO("flip at " << i);
    REQUIRE_FALSE(s.ok());
    REQUIRE(dst->Keys()->empty());
  }
  auto dst = Memory();
  REQUIRE(Import(*dst, dump + "x", true).code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cask::testing
