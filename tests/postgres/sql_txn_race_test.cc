// Races through the SQL store's transaction path, which the conformance
// races (single-etag swaps, create-only) do not reach: etag-list swaps,
// swaps inside Commit, create-only inside Commit, and write skew between
// two commits that each require the other's key to be absent. One source
// for the three SQL adapters: CASK_SQLITE_TEST picks a temporary SQLite
// file, otherwise the server URL comes from CASK_SERVER_ENV (skipped, exit
// 77, when unset or unreachable).
#define CATCH_CONFIG_RUNNER
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cask/status.h"
#include "catch2/catch.hpp"
#include CASK_STORE_HEADER

namespace {

constexpr int kThreads = 8;
constexpr int kPerThread = 25;

std::string& BaseUrl() {
  static std::string url;
  return url;
}

std::string FreshUrl() {
  static int n = 0;
  std::random_device rd;
  const std::string table = absl::StrFormat(
      "race%x_%x_%d", static_cast<unsigned>(getpid()), rd() & 0xffffff, ++n);
  const char* sep = BaseUrl().find('?') == std::string::npos ? "?" : "&";
  return absl::StrCat(BaseUrl(), sep, "table=", table);
}

std::vector<std::unique_ptr<cask::Driver>> Clients(const std::string& url,
                                                   int n) {
  std::vector<std::unique_ptr<cask::Driver>> out;
  for (int i = 0; i < n; ++i) {
    auto c = CASK_OPEN_STORE(url);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    out.push_back(*std::move(c));
  }
  return out;
}

cask::WriteOptions When(cask::Precondition p) {
  cask::WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

// Runs `swap(client, current item)` until acknowledged, kPerThread times per
// thread; returns the acknowledged count, or -1 after an unexpected error.
template <typename Swap>
std::int64_t IncrementRace(const std::string& url, Swap swap) {
  auto clients = Clients(url, kThreads);
  REQUIRE(clients[0]->Set("counter", "0").ok());
  std::atomic<std::int64_t> acked{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      cask::Driver& d = *clients[t];
      for (int i = 0; i < kPerThread && !failed; ++i) {
        while (true) {
          absl::StatusOr<cask::Item> item = d.Get("counter");
          std::int64_t v = 0;
          if (!item.ok() || !absl::SimpleAtoi(item->value, &v)) {
            failed = true;
            return;
          }
          absl::Status s = swap(d, *item, absl::StrCat(v + 1));
          if (s.ok()) {
            ++acked;
            break;
          }
          if (!cask::IsCasMismatch(s)) {
            std::fprintf(stderr, "unexpected: %s\n", s.ToString().c_str());
            failed = true;
            return;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  REQUIRE_FALSE(failed);
  std::int64_t final_value = 0;
  REQUIRE(absl::SimpleAtoi(clients[0]->Get("counter")->value, &final_value));
  REQUIRE(final_value == acked);
  return acked;
}

TEST_CASE("8 clients increment with etag-list swaps (transaction path)") {
  const std::int64_t acked = IncrementRace(
      FreshUrl(),
      [](cask::Driver& d, const cask::Item& item, const std::string& next) {
        cask::Precondition p;
        p.if_match = std::vector<std::string>{"never-issued", item.meta.etag};
        return d.Set("counter", next, When(p)).status();
      });
  REQUIRE(acked == kThreads * kPerThread);
}

TEST_CASE("8 clients increment through Commit with a verify") {
  const std::string url = FreshUrl();
  std::string fixed;
  {
    auto c = CASK_OPEN_STORE(url);
    REQUIRE(c.ok());
    fixed = *(*c)->Set("fixed", "f");
  }
  const std::int64_t acked = IncrementRace(url, [&](cask::Driver& d,
                                                    const cask::Item& item,
                                                    const std::string& next) {
    cask::Batch batch;
    batch
        .Put("counter", next, When(cask::Precondition::IfMatch(item.meta.etag)))
        .Verify("fixed", cask::Precondition::IfMatch(fixed));
    return d.Commit(batch).status();
  });
  REQUIRE(acked == kThreads * kPerThread);
}

TEST_CASE("8 clients create-only one key inside Commit: exactly one wins") {
  const std::string url = FreshUrl();
  auto clients = Clients(url, kThreads);
  for (int round = 0; round < 5; ++round) {
    const std::string key = absl::StrCat("lock:", round);
    std::atomic<int> winners{0}, losers{0}, errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        cask::Batch batch;
        batch.Put(key, absl::StrCat(t), When(cask::Precondition::CreateOnly()))
            .Put(absl::StrCat(key, ":by:", t), "x");
        absl::Status s = clients[t]->Commit(batch).status();
        if (s.ok()) {
          ++winners;
        } else if (cask::IsCasMismatch(s)) {
          ++losers;
        } else {
          std::fprintf(stderr, "unexpected: %s\n", s.ToString().c_str());
          ++errors;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    REQUIRE(errors == 0);
    REQUIRE(winners == 1);
    REQUIRE(losers == kThreads - 1);
    // The loser's second put was not applied either.
    REQUIRE(clients[0]->Keys(key)->size() == 1);
  }
}

TEST_CASE(
    "write skew: two commits needing each other's key absent never "
    "both succeed") {
  const std::string url = FreshUrl();
  auto clients = Clients(url, 2);
  int both = 0, unexpected = 0;
  for (int round = 0; round < 40; ++round) {
    const std::string a = absl::StrCat("a", round),
                      b = absl::StrCat("b", round);
    absl::Status sa, sb;
    std::thread ta([&] {
      cask::Batch batch;
      batch.Verify(b, cask::Precondition::CreateOnly())
          .Put(a, "x", When(cask::Precondition::CreateOnly()));
      sa = clients[0]->Commit(batch).status();
    });
    std::thread tb([&] {
      cask::Batch batch;
      batch.Verify(a, cask::Precondition::CreateOnly())
          .Put(b, "x", When(cask::Precondition::CreateOnly()));
      sb = clients[1]->Commit(batch).status();
    });
    ta.join();
    tb.join();
    if (sa.ok() && sb.ok()) ++both;
    for (const absl::Status& s : {sa, sb}) {
      if (!s.ok() && !cask::IsCasMismatch(s)) {
        std::fprintf(stderr, "unexpected: %s\n", s.ToString().c_str());
        ++unexpected;
      }
    }
  }
  REQUIRE(unexpected == 0);
  REQUIRE(both == 0);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef CASK_SQLITE_TEST
  char tmpl[] = "/tmp/cask-sqlite-race.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  BaseUrl() = absl::StrCat("sqlite://", tmpl, "/race.db");
  int rc = Catch::Session().run(argc, argv);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return rc;
#else
  const char* url = std::getenv(CASK_SERVER_ENV);
  if (url == nullptr || *url == '\0') {
    std::printf("SKIPPED %s transaction races: %s is not set\n",
                CASK_STORE_NAME, CASK_SERVER_ENV);
    return 77;
  }
  BaseUrl() = url;
  if (absl::Status probe = CASK_OPEN_STORE(FreshUrl()).status();
      probe.code() == absl::StatusCode::kUnavailable) {
    std::printf("SKIPPED %s transaction races: server unreachable: %s\n",
                CASK_STORE_NAME, probe.ToString().c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
#endif
}
