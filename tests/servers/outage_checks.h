// Test helper: the checks the outage tests of the server adapters (redis,
// etcd) share. A test starts its own server (child_process.h), writes the
// acknowledged keys, takes the server down and back up, and uses these to
// check the store across the outage. Header-only; uses Catch2 assertions.
#ifndef CASK_TESTS_SERVERS_OUTAGE_CHECKS_H_
#define CASK_TESTS_SERVERS_OUTAGE_CHECKS_H_

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/batch.h"
#include "cask/driver.h"
#include "catch2/catch.hpp"

namespace cask::testing {

// A new directory under /tmp named after `prefix`, removed with all its
// contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::string cmd = "rm -rf " + path_;
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "cleanup failed\n");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls `ready` every 50 ms for up to 10 s; whether it became true.
template <typename Ready>
bool WaitUntil(Ready ready) {
  for (int i = 0; i < 200; ++i) {
    if (ready()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

inline WriteOptions When(Precondition p) {
  WriteOptions o;
  o.precondition = std::move(p);
  return o;
}

// Creates k:0 .. k:19 (values v0 .. v19); key -> acknowledged etag.
inline std::map<std::string, std::string> WriteAcked(Driver& store) {
  std::map<std::string, std::string> acked;
  for (int i = 0; i < 20; ++i) {
    std::string key = absl::StrCat("k:", i);
    absl::StatusOr<std::string> etag =
        store.Set(key, absl::StrCat("v", i), When(Precondition::CreateOnly()));
    REQUIRE(etag.ok());
    acked[key] = *etag;
  }
  return acked;
}

// Swaps k:0 ("v0" -> "changed") on its acknowledged etag between `hold()`,
// which keeps the server from answering, and `release()`: the swap is
// kUnknown. Then the same store works again and k:0 holds one of the two
// states. Drops k:0 from `acked`.
template <typename Hold, typename Release>
void CheckUnansweredWriteIsUnknown(Driver& store,
                                   std::map<std::string, std::string>& acked,
                                   Hold hold, Release release) {
  hold();
  absl::StatusOr<std::string> r =
      store.Set("k:0", "changed", When(Precondition::IfMatch(acked["k:0"])));
  release();
  {
    INFO(r.status().ToString());
    REQUIRE(r.status().code() == absl::StatusCode::kUnknown);
    REQUIRE(std::string(r.status().message()).find("unknown") !=
            std::string::npos);
  }
  absl::StatusOr<Item> item = store.Get("k:0");
  INFO(item.status().ToString());
  REQUIRE(item.ok());
  REQUIRE((item->value == "v0" || item->value == "changed"));
  if (item->value == "v0") REQUIRE(item->meta.etag == acked["k:0"]);
  acked.erase("k:0");
}

// With the server down: every kind of call is kUnavailable.
inline void CheckAllUnavailable(Driver& store,
                                std::map<std::string, std::string>& acked) {
  CHECK(store.Get("k:1").status().code() == absl::StatusCode::kUnavailable);
  CHECK(store.GetMeta("k:1").status().code() == absl::StatusCode::kUnavailable);
  CHECK(store.Keys().status().code() == absl::StatusCode::kUnavailable);
  CHECK(store.Set("new", "x").status().code() ==
        absl::StatusCode::kUnavailable);
  CHECK(store.Set("k:1", "x", When(Precondition::IfMatch(acked["k:1"])))
            .status()
            .code() == absl::StatusCode::kUnavailable);
  CHECK(store.Remove("k:2", Precondition::MustExist()).code() ==
        absl::StatusCode::kUnavailable);
  Batch batch;
  batch.Put("k:3", "y", When(Precondition::IfMatch(acked["k:3"])));
  CHECK(store.Commit(batch).status().code() == absl::StatusCode::kUnavailable);
  CHECK(store.Clear("k").code() == absl::StatusCode::kUnavailable);
}

// After the restart: every acknowledged write is there with its etag,
// nothing written during the outage is, and CAS works on k:1.
inline void CheckAckedAfterRestart(Driver& store,
                                   std::map<std::string, std::string>& acked) {
  for (const auto& [key, etag] : acked) {
    absl::StatusOr<Meta> meta = store.GetMeta(key);
    INFO(key << ": " << meta.status().ToString());
    REQUIRE(meta.ok());
    REQUIRE(meta->etag == etag);
  }
  REQUIRE_FALSE(*store.Has("new"));
  absl::StatusOr<std::string> swapped =
      store.Set("k:1", "after", When(Precondition::IfMatch(acked["k:1"])));
  INFO(swapped.status().ToString());
  REQUIRE(swapped.ok());
  REQUIRE(*swapped != acked["k:1"]);
}

}  // namespace cask::testing

#endif  // CASK_TESTS_SERVERS_OUTAGE_CHECKS_H_
