#include "key_order_walk.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cask/key.h"

namespace cask::objstore {
namespace {

// Entries asked for per listing request (S3's and Azure's page maximum).
constexpr std::size_t kListPage = 1000;
// U+10FFFF, the largest code point, in UTF-8: no name of a key below it.
constexpr char kLargestCodePoint[] = "\xF4\x8F\xBF\xBF";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Walk {
 public:
  Walk(const ListLevelFn& list, const std::string& after, std::size_t limit)
      : list_(list), after_(after), limit_(limit) {}

  // Appends the keys of the level below `level_key` (and of the levels
  // below it) that come after after_, in key order, until the page is full.
  absl::Status Level(const std::string& level_key) {
    if (Full()) return absl::OkStatus();
    // Where after_ falls in this level: its segment here, and whether it
    // lies deeper, inside that segment's directory.
    const std::string lower = level_key.empty() ? "" : level_key + ":";
    std::string resume;
    bool inside = false;
    if (after_.size() > lower.size() && absl::StartsWith(after_, lower)) {
      std::string_view rest = std::string_view(after_).substr(lower.size());
      std::size_t colon = rest.find(kKeySeparator);
      resume = std::string(rest.substr(0, colon));
      inside = colon != std::string_view::npos;
    } else if (after_ > lower) {
      return absl::OkStatus();  // every key of the level is at or before it
    }
    // Directories held back until their turn, by the key they sort at
    // ("seg:"), so a set keeps them in key order.
    std::set<std::string> held;
    std::string start;
    if (!resume.empty()) {
      if (inside) {
        if (absl::Status s = Level(KeyOf(level_key, resume)); !s.ok()) {
          return s;
        }
        if (Full()) return absl::OkStatus();
        // "resume0"…"resume9…" sort before "resume:…" as keys: skip them.
        start = absl::StrCat(resume, "9", kLargestCodePoint);
      } else {
        start = resume;
      }
      if (absl::Status s = FindPassedDirs(level_key, resume, held); !s.ok()) {
        return s;
      }
    }
    std::string continuation;
    for (;;) {
      // A little past what the page still needs (held directories may
      // take some), never 0: `limit_` may be SIZE_MAX, so no wrap-around.
      const std::size_t want = limit_ - out_.size();
      std::size_t max =
          want >= kListPage ? kListPage : std::min(kListPage, want + 16);
      absl::StatusOr<LevelPage> page =
          list_(level_key, start, continuation, max);
      if (!page.ok()) return page.status();
      for (LevelEntry& e : page->entries) {
        // Not a cask key: an empty segment, or a ':' no key name holds.
        if (e.segment.empty() || absl::StrContains(e.segment, ":")) continue;
        std::string sort_key = e.is_dir ? e.segment + ":" : e.segment;
        // A held directory's turn comes once the listing passes its key.
        while (!held.empty() && *held.begin() < sort_key) {
          if (absl::Status s = VisitHeld(level_key, held); !s.ok()) return s;
          if (Full()) return absl::OkStatus();
        }
        std::string key = KeyOf(level_key, e.segment);
        if (e.is_dir) {
          if (inside && e.segment == resume) continue;  // walked first
          if (CanHold(key)) held.insert(std::move(sort_key));
        } else if (key > after_) {
          out_.push_back(WalkedKey{std::move(key), std::move(e.meta)});
          if (Full()) return absl::OkStatus();
        }
      }
      if (page->continuation.empty()) break;
      continuation = std::move(page->continuation);
    }
    while (!held.empty()) {
      if (absl::Status s = VisitHeld(level_key, held); !s.ok()) return s;
      if (Full()) return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  std::vector<WalkedKey> Take() { return std::move(out_); }

 private:
  bool Full() const { return out_.size() >= limit_; }

  static std::string KeyOf(const std::string& level_key,
                           const std::string& segment) {
    return level_key.empty() ? segment : absl::StrCat(level_key, ":", segment);
  }

  // False when every key below directory key `dir_key` is at or before
  // after_ (they all sort between "dir_key:" and "dir_key;").
  bool CanHold(const std::string& dir_key) const {
    return after_ < dir_key + ";";
  }

  absl::Status VisitHeld(const std::string& level_key,
                         std::set<std::string>& held) {
    std::string segment = *held.begin();
    held.erase(held.begin());
    segment.pop_back();  // the ':'
    return Level(KeyOf(level_key, segment));
  }

  // The directories u/ of the level where u is a proper prefix of `resume`
  // followed by a digit: their names sort before `resume`, where the
  // level's listing starts, but their keys after it. Each one-entry
  // listing after u answers for every candidate up to the name it returns.
  absl::Status FindPassedDirs(const std::string& level_key,
                              const std::string& resume,
                              std::set<std::string>& held) {
    std::vector<std::string> candidates;  // ascending, as names and as keys
    for (std::size_t i = 1; i < resume.size(); ++i) {
      if (IsDigit(resume[i])) candidates.push_back(resume.substr(0, i));
    }
    std::size_t next = 0;
    while (next < candidates.size()) {
      absl::StatusOr<LevelPage> page =
          list_(level_key, candidates[next], "", 1);
      if (!page.ok()) return page.status();
      if (page->entries.empty()) return absl::OkStatus();  // none after it
      const LevelEntry& first = page->entries.front();
      std::string name = first.is_dir ? first.segment + "/" : first.segment;
      bool answered = false;
      while (next < candidates.size() && candidates[next] + "/" <= name) {
        if (first.is_dir && first.segment == candidates[next]) {
          held.insert(candidates[next] + ":");
        }
        ++next;
        answered = true;
      }
      if (!answered) {
        // A name between u and u/ ("u-x") came first: ask about u/ itself.
        absl::StatusOr<LevelPage> below =
            list_(KeyOf(level_key, candidates[next]), "", "", 1);
        if (!below.ok()) return below.status();
        if (!below->entries.empty()) held.insert(candidates[next] + ":");
        ++next;
      }
    }
    return absl::OkStatus();
  }

  const ListLevelFn& list_;
  const std::string& after_;
  const std::size_t limit_;
  std::vector<WalkedKey> out_;
};

}  // namespace

std::vector<LevelEntry> MergeByName(std::vector<LevelEntry> objects,
                                    std::vector<LevelEntry> dirs) {
  std::vector<LevelEntry> out(objects.size() + dirs.size());
  std::merge(std::make_move_iterator(objects.begin()),
             std::make_move_iterator(objects.end()),
             std::make_move_iterator(dirs.begin()),
             std::make_move_iterator(dirs.end()), out.begin(),
             [](const LevelEntry& a, const LevelEntry& b) {
               return (a.is_dir ? a.segment + "/" : a.segment) <
                      (b.is_dir ? b.segment + "/" : b.segment);
             });
  return out;
}

absl::StatusOr<std::vector<WalkedKey>> WalkInKeyOrder(
    const ListLevelFn& list, const std::string& base,
    const std::string& start_after, std::size_t limit) {
  Walk walk(list, start_after, limit);
  if (absl::Status s = walk.Level(base); !s.ok()) return s;
  return walk.Take();
}

}  // namespace cask::objstore
