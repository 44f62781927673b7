#include "checker.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model.h"

namespace cask::lin {
namespace {

class Bitset {
 public:
  explicit Bitset(std::size_t n) : words_((n + 63) / 64, 0) {}
  void Set(std::size_t i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }
  void Clear(std::size_t i) {
    words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  std::uint64_t Hash() const {
    std::uint64_t h = 0x9e3779b97f4a7c15ull;
    for (std::uint64_t w : words_) {
      h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    }
    return h;
  }
  bool operator==(const Bitset&) const = default;

 private:
  std::vector<std::uint64_t> words_;
};

struct Budget {
  std::uint64_t max_steps = 0;
  absl::Time deadline;
  std::uint64_t steps = 0;
  std::string exhausted;  // non-empty once a limit ran out

  bool Spend() {
    ++steps;
    if (max_steps != 0 && steps > max_steps) {
      exhausted = absl::StrCat("step budget of ", max_steps, " exhausted");
    } else if (steps % 1024 == 0 && absl::Now() > deadline) {
      exhausted = "time limit exhausted";
    }
    return exhausted.empty();
  }
};

// Connected components of keys, joined by the keys of each commit; each
// component lists the history indices of its operations.
std::vector<std::vector<std::size_t>> Partition(const History& history) {
  std::map<std::string, std::size_t> id;
  std::vector<std::size_t> parent;
  auto find = [&parent](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto key_id = [&](const std::string& key) {
    auto [it, inserted] = id.emplace(key, parent.size());
    if (inserted) parent.push_back(parent.size());
    return it->second;
  };
  for (const Operation& op : history) {
    std::vector<std::string> keys = op.Keys();
    std::size_t first = find(key_id(keys.front()));
    for (const std::string& key : keys) parent[find(key_id(key))] = first;
  }
  std::map<std::size_t, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < history.size(); ++i) {
    groups[find(id.at(history[i].Keys().front()))].push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (auto& [root, ops] : groups) out.push_back(std::move(ops));
  return out;
}

// Explains why `ops` (one partition) has no linearization.
std::string ExplainIllegal(const History& history,
                           const std::vector<std::size_t>& ops,
                           const KvModel& model,
                           const std::vector<std::size_t>& longest,
                           const std::string& state_after) {
  std::string out =
      absl::StrCat("not linearizable: partition of keys {",
                   absl::StrJoin(model.keys(), ", "), "}, ", ops.size(),
                   " operations\nlongest linearizable prefix (", longest.size(),
                   " operations):\n");
  for (std::size_t i : longest) {
    absl::StrAppend(&out, "  ", DescribeOperation(history[ops[i]]), "\n");
  }
  absl::StrAppend(&out, "state after it: ", state_after,
                  "\nno pending operation can follow it. All operations by "
                  "call time:\n");
  std::vector<std::size_t> by_call = ops;
  std::sort(by_call.begin(), by_call.end(), [&](std::size_t a, std::size_t b) {
    return history[a].call < history[b].call;
  });
  for (std::size_t i : by_call) {
    absl::StrAppend(&out, "  ", DescribeOperation(history[i]), "\n");
  }
  return out;
}

// The Lowe / Porcupine search over one partition.
Verdict CheckPartition(const History& history,
                       const std::vector<std::size_t>& ops,
                       const CheckOptions& options, Budget& budget,
                       std::string& explanation) {
  std::vector<const Operation*> sources;
  for (std::size_t i : ops) sources.push_back(&history[i]);
  const KvModel model(sources, options.etags_unique);
  const std::size_t n = ops.size();

  struct Event {
    std::int64_t time;
    bool is_return;
    std::size_t op;  // index into `ops`
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back({sources[i]->call, false, i});
    events.push_back({sources[i]->ret, true, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.is_return != b.is_return) return !a.is_return;
    return a.op < b.op;
  });

  // Doubly linked list over the events; node 2n is the head sentinel.
  const int head = static_cast<int>(2 * n);
  std::vector<int> next(2 * n + 1), prev(2 * n + 1), match(2 * n, -1);
  std::vector<int> return_node(n);
  for (std::size_t i = 0; i < 2 * n; ++i) {
    if (events[i].is_return) return_node[events[i].op] = static_cast<int>(i);
  }
  for (std::size_t i = 0; i < 2 * n; ++i) {
    if (!events[i].is_return) match[i] = return_node[events[i].op];
    next[i] = i + 1 < 2 * n ? static_cast<int>(i + 1) : -1;
    prev[i] = i == 0 ? head : static_cast<int>(i - 1);
  }
  next[head] = n == 0 ? -1 : 0;
  prev[head] = -1;
  auto unlink = [&](int node) {
    next[prev[node]] = next[node];
    if (next[node] != -1) prev[next[node]] = prev[node];
  };
  auto relink = [&](int node) {
    next[prev[node]] = node;
    if (next[node] != -1) prev[next[node]] = node;
  };
  auto lift = [&](int call) {
    unlink(call);
    unlink(match[call]);
  };
  auto unlift = [&](int call) {
    relink(match[call]);
    relink(call);
  };

  struct Frame {
    int call;
    KvModel::StateSet state;
  };
  std::vector<Frame> stack;
  std::unordered_map<std::uint64_t,
                     std::vector<std::pair<Bitset, KvModel::StateSet>>>
      cache;
  Bitset linearized(n);
  KvModel::StateSet state = model.Init();
  std::vector<std::size_t> longest;
  std::string state_after_longest = model.Describe(state);

  int entry = next[head];
  while (next[head] != -1) {
    if (!budget.Spend()) return Verdict::kUnknown;
    const Event& ev = events[entry];
    if (!ev.is_return) {
      KvModel::StateSet after = model.Step(state, ev.op);
      if (!after.empty()) {
        linearized.Set(ev.op);
        std::uint64_t h = linearized.Hash() ^ (KvModel::Hash(after) * 31);
        auto& bucket = cache[h];
        bool seen = std::any_of(bucket.begin(), bucket.end(), [&](auto& e) {
          return e.first == linearized && e.second == after;
        });
        if (!seen) {
          bucket.emplace_back(linearized, after);
          stack.push_back({entry, std::move(state)});
          state = std::move(after);
          lift(entry);
          entry = next[head];
          continue;
        }
        linearized.Clear(ev.op);
      }
      entry = next[entry];
      continue;
    }
    // A return whose operation is not linearized yet: backtrack.
    if (stack.size() > longest.size()) {
      longest.clear();
      for (const Frame& f : stack) longest.push_back(events[f.call].op);
      state_after_longest = model.Describe(state);
    }
    if (stack.empty()) {
      explanation =
          ExplainIllegal(history, ops, model, longest, state_after_longest);
      return Verdict::kIllegal;
    }
    Frame top = std::move(stack.back());
    stack.pop_back();
    entry = top.call;
    state = std::move(top.state);
    linearized.Clear(events[entry].op);
    unlift(entry);
    entry = next[entry];
  }
  return Verdict::kLinearizable;
}

// Two acknowledged writes of one key that returned the same etag.
std::string FindReusedEtag(const History& history) {
  std::map<std::pair<std::string, std::string>, std::size_t> issued;
  auto note = [&](std::size_t i, const std::string& key,
                  const std::string& etag) -> std::string {
    auto [it, inserted] = issued.emplace(std::make_pair(key, etag), i);
    if (inserted) return "";
    return absl::StrCat("etag \"", etag, "\" issued twice for key ", key,
                        ":\n  ", DescribeOperation(history[it->second]), "\n  ",
                        DescribeOperation(history[i]), "\n");
  };
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (op.outcome != Outcome::kOk) continue;
    std::string found;
    if (op.kind == OpKind::kSet) found = note(i, op.key, op.out_etag);
    if (op.kind == OpKind::kCommit) {
      for (std::size_t j = 0; j < op.batch.size() && found.empty(); ++j) {
        if (op.batch[j].kind == BatchOpKind::kPut) {
          found = note(i, op.batch[j].key, op.out_etags[j]);
        }
      }
    }
    if (!found.empty()) return found;
  }
  return "";
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kIllegal:
      return "illegal";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

absl::StatusOr<CheckResult> CheckHistory(const History& history,
                                         const CheckOptions& options) {
  absl::Status valid = ValidateHistory(history);
  if (!valid.ok()) return valid;
  CheckResult result;
  if (options.etags_unique) {
    std::string reused = FindReusedEtag(history);
    if (!reused.empty()) {
      result.verdict = Verdict::kIllegal;
      result.explanation = std::move(reused);
      return result;
    }
  }
  Budget budget;
  budget.max_steps = options.max_steps;
  budget.deadline = absl::Now() + options.timeout;
  std::vector<std::vector<std::size_t>> partitions = Partition(history);
  result.partitions = partitions.size();
  bool unknown = false;
  for (const std::vector<std::size_t>& ops : partitions) {
    std::string explanation;
    Verdict v = CheckPartition(history, ops, options, budget, explanation);
    if (v == Verdict::kIllegal) {
      result.verdict = v;
      result.explanation = std::move(explanation);
      result.steps = budget.steps;
      return result;
    }
    if (v == Verdict::kUnknown) {
      unknown = true;
      break;
    }
  }
  result.steps = budget.steps;
  if (unknown) {
    result.verdict = Verdict::kUnknown;
    result.explanation = budget.exhausted;
  }
  return result;
}

}  // namespace cask::lin
