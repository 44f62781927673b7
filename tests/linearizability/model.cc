#include "model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cask::lin {
namespace {

// Compares unequal to every etag a store can issue (0x01 is not etagc), so
// evaluating a precondition against it answers "the unknown etag is none of
// the tags named".
const std::string kNoneOfThem = "\x01";

void AddTags(const std::optional<std::vector<std::string>>& list,
             std::vector<std::string>& out) {
  if (!list) return;
  for (const std::string& tag : *list) {
    if (tag != kAnyEtag) out.push_back(tag);
  }
}

std::vector<std::string> TagsOf(const Precondition& p) {
  std::vector<std::string> tags;
  AddTags(p.if_match, tags);
  AddTags(p.if_none_match, tags);
  return tags;
}

}  // namespace

KvModel::KvModel(const std::vector<const Operation*>& ops, bool etags_unique)
    : etags_unique_(etags_unique) {
  // Keys first, so that slots follow the order keys are first named.
  for (const Operation* source : ops) {
    for (const std::string& key : source->Keys()) Slot(key);
  }
  known_.resize(keys_.size());
  for (const Operation* source : ops) {
    const Operation& o = *source;
    Op op;
    op.source = source;
    for (const std::string& tag : TagsOf(o.precondition)) Etag(tag);
    if (o.kind == OpKind::kCommit) {
      for (std::size_t i = 0; i < o.batch.size(); ++i) {
        const BatchEntry& b = o.batch[i];
        Entry e;
        e.kind = b.kind;
        e.slot = Slot(b.key);
        e.precondition = &b.precondition;
        if (b.kind == BatchOpKind::kPut) e.value = Value(b.value);
        for (const std::string& tag : TagsOf(b.precondition)) Etag(tag);
        if (o.outcome == Outcome::kOk && b.kind == BatchOpKind::kPut) {
          e.out_etag = Etag(o.out_etags[i]);
          known_[e.slot].insert(e.out_etag);
        }
        op.entries.push_back(e);
      }
    } else {
      op.slot = Slot(o.key);
      if (o.kind == OpKind::kSet) op.value = Value(o.value);
      if (o.outcome == Outcome::kOk && o.kind == OpKind::kGet) {
        op.value = Value(o.out_value);
      }
      if (o.outcome == Outcome::kOk &&
          (o.kind == OpKind::kGet || o.kind == OpKind::kSet)) {
        op.out_etag = Etag(o.out_etag);
      }
      if (o.outcome == Outcome::kOk && o.kind == OpKind::kSet) {
        known_[op.slot].insert(op.out_etag);
      }
    }
    if (o.outcome == Outcome::kMismatch && o.conflicts_known) {
      std::vector<std::string> keys = o.Keys();
      for (const ObservedConflict& c : o.conflicts) {
        Observed seen;
        if (std::find(keys.begin(), keys.end(), c.key) != keys.end()) {
          seen.slot = Slot(c.key);
        }
        if (c.actual) seen.etag = Etag(*c.actual);
        op.observed.push_back(seen);
      }
    }
    ops_.push_back(std::move(op));
  }
}

int KvModel::Slot(const std::string& key) {
  auto [it, inserted] = slot_of_.emplace(key, static_cast<int>(keys_.size()));
  if (inserted) keys_.push_back(key);
  return it->second;
}

int KvModel::Value(const std::string& value) {
  auto [it, inserted] =
      value_of_.emplace(value, static_cast<int>(values_.size()));
  if (inserted) values_.push_back(value);
  return it->second;
}

int KvModel::Etag(const std::string& etag) {
  auto [it, inserted] = etag_of_.emplace(etag, static_cast<int>(etags_.size()));
  if (inserted) etags_.push_back(etag);
  return it->second;
}

bool KvModel::Foreign(int slot, int etag) const {
  return !etags_unique_ || known_[slot].count(etag) == 0;
}

KvModel::StateSet KvModel::Init() const {
  return StateSet{State(keys_.size())};
}

void KvModel::Expand(std::vector<Branch>& branches, int slot,
                     const Precondition& p) const {
  std::vector<Branch> next;
  for (Branch& b : branches) {
    const KeyState& ks = b.state[slot];
    if (!ks.exists || ks.etag != kUnknownEtag) {
      std::optional<std::string> current;
      if (ks.exists) current = etags_[ks.etag];
      b.holds.push_back(PreconditionHolds(p, current));
      next.push_back(std::move(b));
      continue;
    }
    // The etag is unknown: it may be any foreign tag the precondition
    // names, or none of them.
    std::set<int> candidates;
    for (const std::string& tag : TagsOf(p)) {
      int id = etag_of_.at(tag);
      if (Foreign(slot, id)) candidates.insert(id);
    }
    for (int id : candidates) {
      Branch bound = b;
      bound.state[slot].etag = id;
      bound.holds.push_back(PreconditionHolds(p, etags_[id]));
      next.push_back(std::move(bound));
    }
    b.holds.push_back(PreconditionHolds(p, kNoneOfThem));
    next.push_back(std::move(b));
  }
  branches = std::move(next);
}

bool KvModel::Observe(State& s, int slot, int etag) const {
  KeyState& ks = s[slot];
  if (etag == -1) return !ks.exists;
  if (!ks.exists) return false;
  if (ks.etag == etag) return true;
  if (ks.etag == kUnknownEtag && Foreign(slot, etag)) {
    ks.etag = etag;
    return true;
  }
  return false;
}

void KvModel::StepOne(const State& s, const Op& op, StateSet& out) const {
  const Operation& o = *op.source;
  // Whether the conflicts a mismatch reported agree with `st` (binding
  // unknown etags they reveal); `failing` are the slots whose
  // precondition failed in the branch.
  auto observed_ok = [&](State& st, const std::vector<int>& failing) {
    if (!o.conflicts_known) return true;
    std::vector<int> reported;
    for (const Observed& seen : op.observed) {
      if (seen.slot < 0 || !Observe(st, seen.slot, seen.etag)) return false;
      reported.push_back(seen.slot);
    }
    std::sort(reported.begin(), reported.end());
    return reported == failing;
  };

  switch (o.kind) {
    case OpKind::kGet: {
      if (o.outcome == Outcome::kUnknown) {
        out.push_back(s);
      } else if (o.outcome == Outcome::kNotFound) {
        if (!s[op.slot].exists) out.push_back(s);
      } else if (s[op.slot].exists && s[op.slot].value == op.value) {
        State st = s;
        if (Observe(st, op.slot, op.out_etag)) out.push_back(std::move(st));
      }
      return;
    }
    case OpKind::kSet:
    case OpKind::kRemove: {
      std::vector<Branch> branches{Branch{s, {}}};
      Expand(branches, op.slot, o.precondition);
      KeyState written;
      if (o.kind == OpKind::kSet) {
        written =
            KeyState{true, op.value,
                     o.outcome == Outcome::kOk ? op.out_etag : kUnknownEtag};
      }
      for (Branch& b : branches) {
        bool holds = b.holds[0];
        if (o.outcome == Outcome::kMismatch) {
          if (!holds && observed_ok(b.state, {op.slot})) {
            out.push_back(std::move(b.state));
          }
          continue;
        }
        if (holds) {
          b.state[op.slot] = written;
          out.push_back(std::move(b.state));
        } else if (o.outcome == Outcome::kUnknown) {
          out.push_back(std::move(b.state));
        }
      }
      return;
    }
    case OpKind::kCommit: {
      std::vector<Branch> branches{Branch{s, {}}};
      for (const Entry& e : op.entries) {
        Expand(branches, e.slot, *e.precondition);
      }
      for (Branch& b : branches) {
        std::vector<int> failing;
        for (std::size_t i = 0; i < op.entries.size(); ++i) {
          if (!b.holds[i]) failing.push_back(op.entries[i].slot);
        }
        std::sort(failing.begin(), failing.end());
        if (o.outcome == Outcome::kMismatch) {
          if (!failing.empty() && observed_ok(b.state, failing)) {
            out.push_back(std::move(b.state));
          }
          continue;
        }
        if (failing.empty()) {
          for (const Entry& e : op.entries) {
            if (e.kind == BatchOpKind::kPut) {
              b.state[e.slot] = KeyState{
                  true, e.value,
                  o.outcome == Outcome::kOk ? e.out_etag : kUnknownEtag};
            } else if (e.kind == BatchOpKind::kDelete) {
              b.state[e.slot] = KeyState{};
            }
          }
          out.push_back(std::move(b.state));
        } else if (o.outcome == Outcome::kUnknown) {
          out.push_back(std::move(b.state));
        }
      }
      return;
    }
  }
}

KvModel::StateSet KvModel::Step(const StateSet& states, std::size_t op) const {
  StateSet out;
  for (const State& s : states) StepOne(s, ops_[op], out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::uint64_t KvModel::Hash(const StateSet& states) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::int64_t v) {
    h ^= static_cast<std::uint64_t>(v);
    h *= 1099511628211ull;
  };
  for (const State& s : states) {
    mix(-7);
    for (const KeyState& k : s) {
      mix(k.exists);
      mix(k.value);
      mix(k.etag);
    }
  }
  return h;
}

std::string KvModel::Describe(const StateSet& states) const {
  std::vector<std::string> alternatives;
  for (const State& s : states) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const KeyState& k = s[i];
      if (!k.exists) {
        parts.push_back(absl::StrCat(keys_[i], " absent"));
        continue;
      }
      std::string etag = k.etag == kUnknownEtag
                             ? std::string("?")
                             : absl::StrCat("\"", etags_[k.etag], "\"");
      parts.push_back(absl::StrCat(keys_[i], "=\"",
                                   absl::CHexEscape(values_[k.value]),
                                   "\" etag ", etag));
    }
    alternatives.push_back(absl::StrCat("{", absl::StrJoin(parts, ", "), "}"));
  }
  return absl::StrJoin(alternatives, " or ");
}

}  // namespace cask::lin
