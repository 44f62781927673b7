// The sequential specification the checker linearizes against: a map from
// key to (value, etag), with cask's operations (get, set with any
// precondition, remove with any precondition, atomic commit).
//
// Etags are opaque and issued by the store, so the etag a write produced is
// part of its observed output: an acknowledged Set's etag becomes the key's
// etag in the model, and later if_match / if_none_match operations are
// evaluated against it with cask's one precondition evaluator
// (PreconditionHolds). A write whose outcome is unknown leaves the key with
// an *unknown* etag; the first later operation that observes an etag no
// acknowledged write to that key returned ("foreign") binds it. Where the
// outcome of a precondition depends on an unknown etag the model is
// nondeterministic, so a model state is a set of possible key-value states
// (Porcupine's power-set construction).
//
// A KvModel is built for one partition of a history (the operations on one
// connected group of keys): it interns keys, values and etags to small
// integers so that states are cheap to copy, compare and hash.
//
// Thread safety: immutable after construction; Step is const.
#ifndef CASK_TESTS_LINEARIZABILITY_MODEL_H_
#define CASK_TESTS_LINEARIZABILITY_MODEL_H_

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "history.h"

namespace cask::lin {

// The etag of a key written by an operation whose outcome is unknown.
inline constexpr int kUnknownEtag = -2;

struct KeyState {
  bool exists = false;
  int value = -1;  // interned value; -1 when absent
  int etag = -1;   // interned etag, kUnknownEtag, or -1 when absent
  auto operator<=>(const KeyState&) const = default;
};

class KvModel {
 public:
  // One KeyState per key of the partition, in keys() order.
  using State = std::vector<KeyState>;
  // The possible states: sorted, without duplicates, never empty.
  using StateSet = std::vector<State>;

  // `ops` are the operations of one partition; Step(i) refers to ops[i].
  // With etags_unique, an etag returned by an acknowledged write to a key
  // can never also be the etag of an unknown-outcome write to that key.
  KvModel(const std::vector<const Operation*>& ops, bool etags_unique);

  StateSet Init() const;
  // The states after linearizing ops[op] in any state of `states`, given
  // its observed output; empty when the output is impossible in all of them.
  StateSet Step(const StateSet& states, std::size_t op) const;

  static std::uint64_t Hash(const StateSet& states);
  std::string Describe(const StateSet& states) const;
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  struct Entry {
    BatchOpKind kind = BatchOpKind::kPut;
    int slot = 0;
    int value = -1;
    const Precondition* precondition = nullptr;
    int out_etag = -1;  // commit kOk: a put's new etag
  };
  struct Observed {
    int slot = -1;  // -1: a key outside the operation
    int etag = -1;  // -1: reported absent
  };
  struct Op {
    const Operation* source = nullptr;
    int slot = 0;                    // get / set / remove
    int value = -1;                  // set: input; get: output
    int out_etag = -1;               // get / set kOk
    std::vector<Entry> entries;      // commit
    std::vector<Observed> observed;  // mismatch with conflicts_known
  };
  // A candidate state with the etags it had to assume, and whether each
  // precondition evaluated held there.
  struct Branch {
    State state;
    std::vector<bool> holds;
  };

  int Slot(const std::string& key);
  int Value(const std::string& value);
  int Etag(const std::string& etag);
  bool Foreign(int slot, int etag) const;
  void Expand(std::vector<Branch>& branches, int slot,
              const Precondition& p) const;
  bool Observe(State& s, int slot, int etag) const;
  void StepOne(const State& s, const Op& op, StateSet& out) const;

  bool etags_unique_;
  std::vector<std::string> keys_;
  std::map<std::string, int> slot_of_;
  std::map<std::string, int> value_of_;
  std::vector<std::string> values_;
  std::map<std::string, int> etag_of_;
  std::vector<std::string> etags_;
  std::vector<std::set<int>>
      known_;  // per slot: etags acknowledged writes returned
  std::vector<Op> ops_;
};

}  // namespace cask::lin

#endif  // CASK_TESTS_LINEARIZABILITY_MODEL_H_
