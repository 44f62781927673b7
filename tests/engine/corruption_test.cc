// The corruption matrix: each kind of file of a store is damaged in turn
// and the answer checked. Open either fails with kDataLoss (and changes no
// data file) or the store is whole: every key reads its value or
// kDataLoss, never NotFound. Never silently smaller, never wiped. Then
// Engine::Repair salvages the store: it opens, and no etag issued before
// the damage matches any more.
#include <filesystem>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "cask/engine.h"
#include "catch2/catch.hpp"
#include "integrity_util.h"
#include "test_util.h"

namespace cask {
namespace {

namespace fs = std::filesystem;
using engine_test::TempDir;

struct Store {
  std::map<std::string, std::string> etags, values;
};

// k1..k100 compacted into table files, then w1..w50 in the WAL.
Store MakeMixedStore(const std::string& path) {
  Store s;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
  REQUIRE(e.ok());
  auto put = [&](const std::string& key) {
    std::string value = absl::StrCat("value of ", key, std::string(40, '.'));
    absl::StatusOr<std::string> etag = (*e)->Set(key, value);
    REQUIRE(etag.ok());
    s.etags[key] = *etag;
    s.values[key] = value;
  };
  for (int i = 1; i <= 100; ++i) put(absl::StrCat("k", i));
  REQUIRE((*e)->Compact().ok());
  for (int i = 1; i <= 50; ++i) put(absl::StrCat("w", i));
  return s;
}

enum class Expect {
  kDataLoss,       // open must fail with kDataLoss
  kWholeOrLoss,    // open fails kDataLoss, or every read is right/kDataLoss
  kTornFinalWrite  // opens; only the final write may be missing
};

struct Damage {
  const char* name;
  std::function<void(const std::string& dir)> apply;
  Expect expect;
  // False when the damage is found only after RocksDB recovered the WAL
  // into table files (which keeps everything it could read).
  bool files_untouched = true;
};

std::vector<Damage> Matrix() {
  using engine_test::LargestFile;
  using engine_test::Overwrite;
  return {
      {"WAL middle",
       [](const std::string& d) {
         std::string wal = LargestFile(d, ".log");
         Overwrite(wal, fs::file_size(wal) / 2, "EVIL");
       },
       Expect::kDataLoss},
      {"WAL tail (bytes of the final record)",
       [](const std::string& d) {
         std::string wal = LargestFile(d, ".log");
         Overwrite(wal, fs::file_size(wal) - 6, "EVIL");
       },
       Expect::kDataLoss},
      // After a clean close even a cut-short final record is damage: the
      // CASK marker names the revision the store closed at.
      {"WAL tail (final record cut short)",
       [](const std::string& d) {
         std::string wal = LargestFile(d, ".log");
         fs::resize_file(wal, fs::file_size(wal) - 5);
       },
       Expect::kDataLoss, false},
      // Without a clean close (a crash), a final record cut short is a
      // write torn by the crash: tolerated, only that write is missing.
      {"WAL tail (final record cut short, after a crash)",
       [](const std::string& d) {
         std::ofstream(d + "/CASK", std::ios::trunc) << "cask-engine-1\n";
         std::string wal = LargestFile(d, ".log");
         fs::resize_file(wal, fs::file_size(wal) - 5);
       },
       Expect::kTornFinalWrite},
      {"MANIFEST",
       [](const std::string& d) {
         std::string m = LargestFile(d, "");
         for (const auto& f : fs::directory_iterator(d)) {
           if (f.path().filename().string().rfind("MANIFEST-", 0) == 0) {
             m = f.path().string();
           }
         }
         Overwrite(m, fs::file_size(m) / 2, "EVIL");
       },
       Expect::kDataLoss},
      {"CURRENT missing",
       [](const std::string& d) { fs::remove(d + "/CURRENT"); },
       Expect::kDataLoss},
      {"CURRENT garbage",
       [](const std::string& d) {
         std::ofstream(d + "/CURRENT", std::ios::trunc) << "garbage\n";
       },
       Expect::kDataLoss},
      {"an .sst",
       [](const std::string& d) {
         std::string sst = LargestFile(d, ".sst");
         Overwrite(sst, fs::file_size(sst) / 3, "EVILEVILEVIL");
       },
       Expect::kWholeOrLoss},
      {"the CASK marker",
       [](const std::string& d) {
         std::ofstream(d + "/CASK", std::ios::trunc) << "\x01garbage\n";
       },
       Expect::kDataLoss},
  };
}

void CheckWholeOrLoss(Engine& e, const Store& s, const std::string& skip) {
  for (const auto& [key, value] : s.values) {
    absl::StatusOr<Item> item = e.Get(key);
    INFO(key << ": " << item.status().ToString());
    if (key == skip && item.status().code() == absl::StatusCode::kNotFound) {
      continue;
    }
    if (item.ok()) {
      REQUIRE(item->value == value);
      REQUIRE(item->meta.etag == s.etags.at(key));
    } else {
      REQUIRE(item.status().code() == absl::StatusCode::kDataLoss);
    }
  }
  absl::StatusOr<std::vector<std::string>> keys = e.Keys();
  if (keys.ok()) {
    REQUIRE(keys->size() + (skip.empty() ? 0 : 1) >= s.values.size());
  } else {
    REQUIRE(keys.status().code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("corruption matrix: DataLoss or whole, never smaller; repair",
          "[corruption]") {
  for (const Damage& damage : Matrix()) {
    DYNAMIC_SECTION(damage.name) {
      TempDir dir;
      const std::string path = dir.Sub("s");
      const Store s = MakeMixedStore(path);
      damage.apply(path);
      const std::set<std::string> before = engine_test::DataFiles(path);
      {
        absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
        INFO(e.status().ToString());
        switch (damage.expect) {
          case Expect::kDataLoss:
            REQUIRE(e.status().code() == absl::StatusCode::kDataLoss);
            break;
          case Expect::kWholeOrLoss:
            if (!e.ok()) {
              REQUIRE(e.status().code() == absl::StatusCode::kDataLoss);
            } else {
              CheckWholeOrLoss(**e, s, "");
            }
            break;
          case Expect::kTornFinalWrite:
            REQUIRE(e.ok());
            CheckWholeOrLoss(**e, s, "w50");
            break;
        }
        if (!e.ok() && damage.files_untouched) {
          REQUIRE(engine_test::DataFiles(path) == before);
        }
      }
      // Refusing again changes nothing either.
      if (damage.expect == Expect::kDataLoss) {
        REQUIRE(Engine::Open(path).status().code() ==
                absl::StatusCode::kDataLoss);
        if (damage.files_untouched) {
          REQUIRE(engine_test::DataFiles(path) == before);
        }
      }

      absl::StatusOr<RepairReport> report = Engine::Repair(path);
      INFO(report.status().ToString());
      REQUIRE(report.ok());
      REQUIRE(report->new_store_id != report->old_store_id);
      absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
      INFO(e.status().ToString());
      REQUIRE(e.ok());
      REQUIRE((*e)->store_id() == report->new_store_id);
      for (const auto& [key, etag] : s.etags) {
        absl::StatusOr<Meta> meta = (*e)->GetMeta(key);
        if (meta.ok()) REQUIRE(meta->etag != etag);
      }
      for (const char* key : {"k1", "w1", "w50"}) {
        WriteOptions o;
        o.precondition = Precondition::IfMatch(s.etags.at(key));
        REQUIRE((*e)->Set(key, "after repair", o).status().code() ==
                absl::StatusCode::kAborted);
      }
      absl::StatusOr<std::string> fresh = (*e)->Set("fresh", "x");
      REQUIRE(fresh.ok());
      REQUIRE((*e)->GetMeta("fresh")->revision > report->revision);
    }
  }
}

TEST_CASE("a store whose CASK marker is gone is refused and left alone",
          "[corruption]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  MakeMixedStore(path);
  fs::remove(path + "/CASK");
  const std::set<std::string> before = engine_test::DataFiles(path);
  REQUIRE(Engine::Open(path).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(Engine::Repair(path).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(engine_test::DataFiles(path) == before);
}

TEST_CASE("repair reports the writes lost in a damaged WAL", "[corruption]") {
  TempDir dir;
  const std::string path = dir.Sub("s");
  const Store s = MakeMixedStore(path);
  std::string wal = engine_test::LargestFile(path, ".log");
  engine_test::Overwrite(wal, fs::file_size(wal) / 2, "EVIL");
  absl::StatusOr<RepairReport> report = Engine::Repair(path);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  std::string lost;
  for (const std::string& l : report->lost) lost += l + "\n";
  INFO(lost);
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Open(path);
  REQUIRE(e.ok());
  std::size_t missing = 0;
  for (const auto& [key, value] : s.values) {
    if (!(*e)->Has(key).value()) ++missing;
  }
  REQUIRE(missing > 0);
  REQUIRE(report->keys == s.values.size() - missing);
  REQUIRE_FALSE(report->lost.empty());
}

}  // namespace
}  // namespace cask
