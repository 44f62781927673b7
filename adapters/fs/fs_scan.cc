// The fs store's paged scan: a walk of the data directory in key order
// that reads only the directories which can hold keys past the cursor.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fs_path.h"
#include "fs_store_impl.h"

namespace cask::fs_internal {
namespace {

// The smallest string above every string that starts with `prefix`; ""
// when there is none (all 0xff).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) {
    prefix.pop_back();
  }
  if (!prefix.empty()) {
    prefix.back() =
        static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  }
  return prefix;
}

// One entry of a directory and the key range [low, high) it can hold.
// Encoded names do not sort like keys ("%7E" is '~', and "a" holds "a:…"
// which sorts after "a0"), so entries are ordered by these ranges instead.
struct Child {
  std::string low;
  std::string high;  // exclusive; "" = unbounded
  bool is_leaf = false;
  std::string key;  // a leaf's
  std::string rel;  // relative to data/
  WalkStep step;    // a directory's, to walk it
};

bool Before(const Child& a, const Child& b) {
  if (a.low != b.low) return a.low < b.low;
  return a.is_leaf && !b.is_leaf;
}

}  // namespace

absl::Status FsStore::FinishDeadCommits() {
  std::vector<std::size_t> marked;
  for (std::size_t s = 0; s < kLockStripes; ++s) {
    if (counter_->Marked(s)) marked.push_back(s);
  }
  if (marked.empty()) return absl::OkStatus();
  // Taking the stripes completes their journals (LockStripes).
  return LockStripes(std::move(marked), /*exclusive=*/false).status();
}

void FsStore::WalkInOrder(const std::string& rel, const std::string& prefix,
                          const std::string& pending, const std::string& after,
                          std::size_t limit, std::vector<Leaf>& out) const {
  if (out.size() >= limit) return;
  std::vector<Child> children;
  for (DirEntry& entry : ListDir(rel)) {
    std::optional<WalkStep> step = StepInto(prefix, pending, entry.name);
    if (!step) continue;  // not a name cask writes
    Child child;
    child.rel = rel.empty() ? entry.name : absl::StrCat(rel, "/", entry.name);
    if (!entry.is_dir) {
      std::optional<std::string> key = LeafKey(*step);
      if (!key || *key <= after) continue;
      child.is_leaf = true;
      child.low = *key;
      child.high = *key + '\0';
      child.key = *std::move(key);
    } else {
      if (entry.name.back() == kLeafSuffix) continue;
      std::size_t chunk = entry.name.size();
      if (entry.name.front() == kContinuationPrefix) --chunk;
      std::optional<std::string> below = KeyPrefixBelow(*step, chunk);
      if (!below) continue;
      child.high = PrefixEnd(*below);
      // Every key below sorts before `after`: skip without opening it.
      if (!child.high.empty() && child.high <= after) continue;
      child.low = *std::move(below);
      child.step = *std::move(step);
    }
    children.push_back(std::move(child));
  }
  std::sort(children.begin(), children.end(), Before);

  auto visit = [&](const Child& c, std::size_t room, std::vector<Leaf>& to) {
    if (c.is_leaf) {
      if (to.size() < room) to.push_back(Leaf{c.key, c.rel});
    } else {
      WalkInOrder(c.rel, c.step.prefix, c.step.pending, after, room, to);
    }
  };
  // Ranges of ordinary entries are disjoint and are walked one by one.
  // Those of a long segment's chunks may overlap (a chunk can end inside an
  // escape, so it does not know its next byte): such a group is merged.
  for (std::size_t i = 0; i < children.size() && out.size() < limit;) {
    std::string high = children[i].high;
    std::size_t j = i + 1;
    while (j < children.size() && (high.empty() || children[j].low < high)) {
      if (children[j].high.empty() || children[j].high > high) {
        high = children[j].high;
      }
      if (high.empty()) {
        j = children.size();
        break;
      }
      ++j;
    }
    if (j == i + 1) {
      visit(children[i], limit, out);
    } else {
      std::size_t room = limit - out.size();
      std::vector<Leaf> merged;
      for (std::size_t k = i; k < j; ++k) {
        std::vector<Leaf> part;
        visit(children[k], room, part);
        for (Leaf& leaf : part) merged.push_back(std::move(leaf));
      }
      std::sort(merged.begin(), merged.end(),
                [](const Leaf& a, const Leaf& b) { return a.key < b.key; });
      if (merged.size() > room) merged.resize(room);
      for (Leaf& leaf : merged) out.push_back(std::move(leaf));
    }
    i = j;
  }
}

absl::StatusOr<ScanPage> FsStore::DoScan(const std::string& base,
                                         const ScanOptions& options) {
  // No stripe is held while scanning (a renamed-in file is always whole),
  // but a dead committer's half-applied commit is completed first.
  if (absl::Status s = FinishDeadCommits(); !s.ok()) return s;
  std::vector<Leaf> leaves;
  WalkInOrder(JoinComponents(BaseComponents(base)), base, "",
              options.start_after, options.limit, leaves);
  ScanPage page;
  // A full walk may have stopped short of more keys; a short one has not.
  if (leaves.size() == options.limit) page.next_after = leaves.back().key;
  const absl::Time now = absl::Now();
  for (Leaf& leaf : leaves) {
    // Metadata and value come from one open file: a write replaces the
    // file by rename, never rewrites it, so the two always agree.
    absl::StatusOr<Fd> fd = OpenValue(leaf.path);
    if (!fd.ok()) return fd.status();
    if (fd->get() < 0) continue;  // removed meanwhile
    absl::StatusOr<RecordHeader> h = ReadHeader(fd->get(), leaf.path);
    if (!h.ok()) return h.status();  // a damaged file: kDataLoss
    if (!IsLive(*h, now)) continue;
    ScanEntry entry;
    entry.key = std::move(leaf.key);
    entry.meta = MetaOf(*h);
    if (options.with_values) {
      entry.value.resize(h->value_size);
      if (absl::Status s =
              PreadAll(fd->get(), entry.value.data(), h->value_size,
                       kHeaderBytes, DataPath(leaf.path));
          !s.ok()) {
        return s;
      }
    }
    page.entries.push_back(std::move(entry));
  }
  return page;
}

}  // namespace cask::fs_internal
