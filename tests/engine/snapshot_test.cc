// The engine's snapshots and GetAt beyond the conformance suite: what a
// trimmed change log, removals, expiry and compaction do to them.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "test_util.h"

namespace cask {
namespace {

using engine_test::TempDir;

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define REQUIRE_CODE(expr, want)            \
  do {                                      \
    const absl::Status _s = StatusOf(expr); \
    INFO(_s.ToString());                    \
    REQUIRE(_s.code() == (want));           \
  } while (0)

std::unique_ptr<Engine> Open(const std::string& path,
                             EngineOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path, options);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return *std::move(e);
}

std::uint64_t Put(Engine& e, std::string_view key, std::string_view value,
                  const WriteOptions& options = {}) {
  REQUIRE(e.Set(key, value, options).ok());
  return e.revision();
}

TEST_CASE("get_at beyond a trimmed change log is kOutOfRange", "[snapshot]") {
  TempDir dir;
  EngineOptions o;
  o.log_retention_count = 10;
  auto e = Open(dir.path(), o);
  const std::uint64_t r1 = Put(*e, "k", "first");
  for (int i = 0; i < 25; ++i) Put(*e, "other", absl::StrCat(i));
  REQUIRE(e->RunMaintenance().ok());
  // Untouched since r1: the current record answers, log or no log.
  REQUIRE(e->GetAt("k", r1)->value == "first");
  const std::uint64_t before = e->revision();
  Put(*e, "k", "second");
  // Was "first" still the value at `before`? Only the trimmed log knew.
  REQUIRE_CODE(e->GetAt("k", before), absl::StatusCode::kOutOfRange);
  REQUIRE_CODE(e->GetAt("k", r1), absl::StatusCode::kOutOfRange);
  // A key the retained log never names may have existed before it.
  REQUIRE_CODE(e->GetAt("never", before), absl::StatusCode::kOutOfRange);
  REQUIRE_CODE(e->GetAt("never", 0), absl::StatusCode::kNotFound);
  REQUIRE(e->GetAt("k", e->revision())->value == "second");
  REQUIRE_CODE(e->GetAt("k", e->revision() + 1), absl::StatusCode::kOutOfRange);
}

TEST_CASE("get_at after a remove and a clear", "[snapshot]") {
  TempDir dir;
  auto e = Open(dir.path());
  const std::uint64_t put = Put(*e, "dir:a", "v");
  Put(*e, "gone", "v");
  REQUIRE(e->Remove("gone").ok());
  const std::uint64_t removed = e->revision();
  REQUIRE(e->Clear("dir").ok());
  const std::uint64_t cleared = e->revision();
  Put(*e, "later", "x");
  REQUIRE_CODE(e->GetAt("dir:a", cleared), absl::StatusCode::kNotFound);
  REQUIRE_CODE(e->GetAt("dir:a", e->revision()), absl::StatusCode::kNotFound);
  REQUIRE_CODE(e->GetAt("gone", removed), absl::StatusCode::kNotFound);
  // The value before the clear is no longer held.
  REQUIRE_CODE(e->GetAt("dir:a", put), absl::StatusCode::kOutOfRange);
  REQUIRE_CODE(e->GetAt("dir:a", put - 1), absl::StatusCode::kNotFound);
}

TEST_CASE("a snapshot judges expiry when it was taken", "[snapshot]") {
  TempDir dir;
  EngineOptions o;
  o.maintenance_interval = absl::Hours(1);  // no reaping during the test
  auto e = Open(dir.path(), o);
  WriteOptions ttl;
  ttl.ttl = absl::Milliseconds(200);
  const std::uint64_t written = Put(*e, "t", "short-lived", ttl);
  Put(*e, "other", "x");
  auto snap = e->OpenSnapshot();
  REQUIRE(snap.ok());
  absl::SleepFor(absl::Milliseconds(300));
  REQUIRE_CODE(e->Get("t"), absl::StatusCode::kNotFound);
  // One state: what was live when the snapshot was taken stays live in it.
  REQUIRE((*snap)->Get("t")->value == "short-lived");
  ScanOptions all;
  all.with_values = true;
  REQUIRE((*snap)->Scan("", all)->entries.size() == 2);
  // GetAt never returns an expired value: at the newest revision the key
  // is absent, as Get says; at an older one the engine cannot tell when
  // it expired.
  REQUIRE_CODE(e->GetAt("t", e->revision()), absl::StatusCode::kNotFound);
  REQUIRE_CODE(e->GetAt("t", written), absl::StatusCode::kOutOfRange);
}

TEST_CASE("a snapshot keeps its values through overwrites and compaction",
          "[snapshot]") {
  TempDir dir;
  EngineOptions o;
  o.min_blob_size = 16;  // "big" values go to blob files
  auto e = Open(dir.path(), o);
  const std::string big(1000, 'b');
  Put(*e, "small", "s0");
  Put(*e, "big", big);
  auto snap = e->OpenSnapshot();
  REQUIRE(snap.ok());
  for (int i = 0; i < 50; ++i) {
    Put(*e, "small", absl::StrCat("s", i + 1));
    Put(*e, "big", std::string(1000, static_cast<char>('c' + i % 20)));
  }
  REQUIRE(e->Remove("small").ok());
  REQUIRE(e->Compact().ok());
  REQUIRE((*snap)->Get("small")->value == "s0");
  REQUIRE((*snap)->Get("big")->value == big);
  ScanOptions with_values;
  with_values.with_values = true;
  absl::StatusOr<ScanPage> page = (*snap)->Scan("", with_values);
  REQUIRE(page.ok());
  REQUIRE(page->entries.size() == 2);
  REQUIRE(page->entries[0].key == "big");
  REQUIRE(page->entries[0].value == big);
  REQUIRE(page->entries[1].value == "s0");
}

}  // namespace
}  // namespace cask
