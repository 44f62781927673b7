// Sync's state machine (docs/sync.md): push, pull, conflicts, resolution.
#include "cask/sync.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/overlay.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "counting_driver.h"
#include "parallel_for.h"
#include "resume_point.h"
#include "sync_state.h"

namespace cask {

using sync_internal::CountingDriver;
using sync_internal::DecodeCheckpoint;
using sync_internal::DecodeConflict;
using sync_internal::DecodeKeyState;
using sync_internal::EncodeConflict;
using sync_internal::EncodeKeyState;
using sync_internal::FindResumePoint;
using sync_internal::Hash;
using sync_internal::kDirtyHash;
using sync_internal::KeyState;
using sync_internal::ParallelFor;
using sync_internal::StateKeys;

namespace {

// A record read together with the precondition that pins it, so the
// commit that replaces it fails if anything else changed it meanwhile.
template <typename T>
struct Pinned {
  std::optional<T> value;
  Precondition pin;  // if_match its etag, or create-only when absent
};

// The remote or local copy of a user key: nullopt when absent.
using Copy = std::optional<Item>;

bool SameContent(const Copy& a, const Copy& b) {
  if (!a || !b) return !a && !b;
  return a->value == b->value;
}

std::string HashOf(const Copy& c) { return c ? Hash(c->value) : ""; }

// True when the local copy is the one last agreed with the remote.
bool LocalIsSynced(const Copy& local, const std::optional<KeyState>& st) {
  if (!st) return !local;
  return st->synced_hash == HashOf(local);
}

absl::StatusOr<Copy> Read(Driver& store, std::string_view key) {
  absl::StatusOr<Item> item = store.Get(key);
  if (item.ok()) return Copy(*std::move(item));
  if (item.status().code() == absl::StatusCode::kNotFound) return Copy();
  return item.status();
}

// The local copy as sync compares it: the overlay store's tombstone (a
// key removed through an overlay whose lower layer held it) means absent,
// so that remove is pushed as a remove, never as the marker's bytes.
Copy Visible(Copy c) {
  if (c && c->value == kOverlayTombstone) return std::nullopt;
  return c;
}

Precondition PinOf(const Copy& c) {
  return c ? Precondition::IfMatch(c->meta.etag) : Precondition::CreateOnly();
}

// A remote error that concerns this key's value only (the remote refused
// it), as opposed to the remote being unreachable or the outcome unknown.
bool IsRejection(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kResourceExhausted ||
         s.code() == absl::StatusCode::kUnimplemented;
}

absl::StatusOr<Pinned<KeyState>> ReadKeyState(Driver& local,
                                              const StateKeys& keys,
                                              const std::string& key) {
  absl::StatusOr<Copy> rec = Read(local, keys.state(key));
  if (!rec.ok()) return rec.status();
  Pinned<KeyState> out{std::nullopt, PinOf(*rec)};
  if (*rec) {
    absl::StatusOr<KeyState> s = DecodeKeyState((*rec)->value);
    if (!s.ok()) return s.status();
    out.value = *std::move(s);
  }
  return out;
}

// What pushing one key sends, decided from the local side.
struct PushPlan {
  std::string key;
  Copy local;              // what to send; nullopt: a remove
  Precondition state_pin;  // pins the key's sync state record
  std::string base_etag;   // remote etag last synced; "" never synced

  Precondition precondition() const {
    return base_etag.empty() ? Precondition::CreateOnly()
                             : Precondition::IfMatch(base_etag);
  }
};

}  // namespace

class Sync::Impl {
 public:
  Impl(std::shared_ptr<Driver> local, std::shared_ptr<Driver> remote,
       SyncOptions options)
      : local_(std::move(local)),
        remote_(std::make_shared<CountingDriver>(std::move(remote))),
        options_(std::move(options)),
        keys_(options_.peer),
        use_feed_(options_.pull_mode == SyncOptions::PullMode::kAuto &&
                  remote_->capabilities().watch),
        batch_push_(options_.push_batch > 1 &&
                    remote_->capabilities().atomic_batch) {}

  ~Impl() { StopFollow(); }

  absl::StatusOr<SyncReport> RunOnce() {
    absl::MutexLock round(&round_mu_);
    SyncCounters counts;
    std::uint64_t calls_before = remote_->calls();
    absl::Status s = RunRounds(counts);
    counts.remote_requests = remote_->calls() - calls_before;
    Record(counts, s);
    if (!s.ok()) return s;
    SyncReport report;
    report.counts = counts;
    absl::StatusOr<std::vector<std::string>> conflicts =
        local_->Keys(keys_.conflict_base());
    if (!conflicts.ok()) return conflicts.status();
    report.unresolved_conflicts = conflicts->size();
    return report;
  }

  void Follow() {
    absl::MutexLock lock(&follow_mu_);
    if (follower_.joinable()) return;
    stop_ = false;
    follower_ = std::thread([this] { FollowLoop(); });
  }

  void StopFollow() {
    {
      absl::MutexLock lock(&follow_mu_);
      if (!follower_.joinable()) return;
      stop_ = true;
    }
    follower_.join();
    absl::MutexLock lock(&follow_mu_);
    follower_ = std::thread();
  }

  absl::StatusOr<std::vector<SyncConflict>> Conflicts() {
    return ListSyncConflicts(*local_, options_.peer);
  }

  absl::Status Resolve(std::string_view key, Resolution resolution,
                       std::optional<std::string> merged,
                       std::optional<Precondition> local_precondition) {
    return ResolveSyncConflict(*local_, options_.peer, key, resolution,
                               std::move(merged),
                               std::move(local_precondition));
  }

  SyncStatus status() const {
    absl::MutexLock lock(&status_mu_);
    SyncStatus s = status_;
    s.following = following_.load();
    return s;
  }

 private:
  // ---- rounds

  // One pass: pull until the remote's feed is drained (a scan is one
  // pass), then push until the local log is drained. Pushing a page at a
  // time between pulls would rescan a feed-less remote once per page.
  // What the remote gains meanwhile is the next round's.
  absl::Status RunRounds(SyncCounters& counts) {
    scanned_at_.reset();
    for (bool more = true; more;) {
      more = false;
      if (absl::Status s = PullRound(counts, more); !s.ok()) return s;
      if (options_.on_progress) options_.on_progress(counts);
      if (!use_feed_) break;
    }
    const std::uint64_t pushed_before = counts.pushed;
    for (bool more = true; more;) {
      more = false;
      if (absl::Status s = PushRound(counts, more); !s.ok()) return s;
      if (options_.on_progress) options_.on_progress(counts);
    }
    if (scanned_at_) return RecordScanRevision(counts.pushed - pushed_before);
    return absl::OkStatus();
  }

  // The scan (or its skip) saw the remote at write count scanned_at_; our
  // `pushed` writes each moved it by one. When the count now is exactly
  // that, nobody else wrote and the next round need not scan.
  absl::Status RecordScanRevision(std::uint64_t pushed) {
    std::uint64_t at = *scanned_at_;
    if (pushed > 0) {
      absl::StatusOr<std::uint64_t> now = remote_->CurrentRevision();
      if (now.ok() && *now == at + pushed) at = *now;
    }
    absl::StatusOr<Pinned<std::uint64_t>> seen =
        ReadCheckpoint(keys_.scan_revision());
    if (!seen.ok()) return seen.status();
    if (seen->value == at) return absl::OkStatus();
    return SetCheckpoint(keys_.scan_revision(), at, seen->pin);
  }

  void Record(const SyncCounters& c, const absl::Status& s) {
    absl::MutexLock lock(&status_mu_);
    SyncCounters& t = status_.totals;
    t.pushed += c.pushed;
    t.pulled += c.pulled;
    t.conflicts += c.conflicts;
    t.converged += c.converged;
    t.remote_requests += c.remote_requests;
    t.full_compares += c.full_compares;
    status_.last_error = s;
    if (s.ok()) status_.last_success = absl::Now();
    if (absl::StatusOr<Pinned<std::uint64_t>> p =
            ReadCheckpoint(keys_.push_checkpoint());
        p.ok()) {
      status_.push_checkpoint = p->value.value_or(0);
    }
    if (absl::StatusOr<Pinned<std::uint64_t>> p =
            ReadCheckpoint(keys_.pull_checkpoint());
        p.ok()) {
      status_.pull_checkpoint = p->value.value_or(0);
    }
  }

  void FollowLoop() {
    following_ = true;
    // Local writes wake the loop at once (the remote is polled).
    std::unique_ptr<Subscription> wake;
    if (absl::StatusOr<Pinned<std::uint64_t>> cp =
            ReadCheckpoint(keys_.push_checkpoint());
        cp.ok()) {
      absl::StatusOr<std::unique_ptr<Subscription>> sub =
          local_->Watch("", cp->value.value_or(0), [this](const ChangeEvent&) {
            absl::MutexLock lock(&follow_mu_);
            poked_ = true;
          });
      if (sub.ok()) wake = *std::move(sub);
    }
    absl::Duration backoff = options_.min_backoff;
    while (true) {
      absl::StatusOr<SyncReport> r = RunOnce();
      absl::Duration pause = options_.poll_interval;
      if (!r.ok() && (r.status().code() == absl::StatusCode::kUnavailable ||
                      r.status().code() == absl::StatusCode::kUnknown)) {
        pause = backoff;
        backoff = std::min(backoff * 2, options_.max_backoff);
      } else {
        backoff = options_.min_backoff;
      }
      absl::MutexLock lock(&follow_mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_) {
        return stop_ || poked_;
      };
      follow_mu_.AwaitWithTimeout(absl::Condition(&woken), pause);
      poked_ = false;
      if (stop_) break;
    }
    following_ = false;
  }

  // ---- push

  absl::Status PushRound(SyncCounters& counts, bool& work) {
    if (absl::Status s = PushDirty(counts, work); !s.ok()) return s;
    absl::StatusOr<Pinned<std::uint64_t>> cp =
        ReadCheckpoint(keys_.push_checkpoint());
    if (!cp.ok()) return cp.status();
    std::uint64_t after = cp->value.value_or(0);
    absl::StatusOr<std::vector<ChangeEvent>> events =
        local_->Changes(after, options_.page_size);
    if (events.status().code() == absl::StatusCode::kOutOfRange) {
      work = true;
      ++counts.full_compares;
      return FullPush(after, cp->pin, counts);
    }
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    work = true;
    absl::StatusOr<std::vector<std::string>> keys = KeysOf(*events);
    if (!keys.ok()) return keys.status();
    Batch state;
    absl::Status s = PushKeys(*keys, state, counts);
    if (s.ok()) {
      state.Put(keys_.push_checkpoint(), absl::StrCat(events->back().revision),
                {cp->pin});
    }
    // What was pushed is recorded even when the round stops early, so the
    // next run need not read those keys back.
    if (absl::Status c = CommitState(state); !c.ok() && s.ok()) s = c;
    return s;
  }

  // Pushes `keys` (distinct): with remote Commits of up to push_batch
  // keys where the remote has atomic batches, else key by key.
  absl::Status PushKeys(const std::vector<std::string>& keys, Batch& state,
                        SyncCounters& counts) {
    absl::StatusOr<std::set<std::string>> conflicted = ConflictNames();
    if (!conflicted.ok()) return conflicted.status();
    std::vector<PushPlan> plans;
    for (const std::string& key : keys) {
      absl::StatusOr<std::optional<PushPlan>> plan =
          PlanPush(key, state, &*conflicted);
      if (!plan.ok()) return plan.status();
      if (*plan) plans.push_back(**std::move(plan));
    }
    const std::size_t chunk = batch_push_ ? options_.push_batch : 1;
    for (std::size_t i = 0; i < plans.size(); i += chunk) {
      std::vector<PushPlan> part(
          plans.begin() + i, plans.begin() + std::min(plans.size(), i + chunk));
      if (absl::Status s = PushChunk(std::move(part), state, counts); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  // Keys that resolutions marked for pushing.
  absl::Status PushDirty(SyncCounters& counts, bool& work) {
    absl::StatusOr<std::vector<std::string>> marks =
        local_->Keys(keys_.dirty_base());
    if (!marks.ok()) return marks.status();
    for (const std::string& mark : *marks) {
      absl::StatusOr<Copy> rec = Read(*local_, mark);
      if (!rec.ok()) return rec.status();
      if (!*rec) continue;
      work = true;
      Batch state;
      absl::Status s = PushKey((*rec)->value, state, counts);
      if (s.ok()) state.Delete(mark, PinOf(*rec));
      if (absl::Status c = CommitState(state); !c.ok() && s.ok()) s = c;
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // The local log was trimmed past the checkpoint: compare every key that
  // exists locally or was ever synced, then follow the log again.
  absl::Status FullPush(std::uint64_t after, const Precondition& cp_pin,
                        SyncCounters& counts) {
    absl::StatusOr<std::uint64_t> resume = FindResumePoint(*local_, after);
    if (!resume.ok()) return resume.status();
    absl::StatusOr<std::vector<std::string>> keys = AllKnownKeys(*local_);
    if (!keys.ok()) return keys.status();
    Batch state;
    absl::Status s = absl::OkStatus();
    for (std::size_t i = 0; i < keys->size(); i += options_.page_size) {
      std::vector<std::string> page(
          keys->begin() + i,
          keys->begin() + std::min(keys->size(), i + options_.page_size));
      s = PushKeys(page, state, counts);
      if (!s.ok()) break;
      if (s = CommitState(state); !s.ok()) return s;
      state = Batch();
    }
    if (s.ok()) {
      state.Put(keys_.push_checkpoint(), absl::StrCat(*resume), {cp_pin});
    }
    if (absl::Status c = CommitState(state); !c.ok() && s.ok()) s = c;
    return s;
  }

  // Sends the local copy of `key` to the remote if it changed since the
  // last sync; adds the new state (or a conflict) to `state`.
  absl::Status PushKey(const std::string& key, Batch& state,
                       SyncCounters& counts) {
    absl::StatusOr<std::optional<PushPlan>> plan = PlanPush(key, state);
    if (!plan.ok()) return plan.status();
    if (!*plan) return absl::OkStatus();
    return SendOne(**plan, state, counts);
  }

  // Decides what pushing `key` needs. nullopt when no remote request is:
  // the key waits for a resolution, is synced, or was created and removed
  // locally before it was ever pushed (that state is added to `state`).
  // `conflicted`: the conflict record names when the caller listed them.
  absl::StatusOr<std::optional<PushPlan>> PlanPush(
      const std::string& key, Batch& state,
      const std::set<std::string>* conflicted = nullptr) {
    if (conflicted != nullptr) {
      if (conflicted->count(keys_.conflict(key))) return std::nullopt;
    } else {
      absl::StatusOr<bool> in_conflict = local_->Has(keys_.conflict(key));
      if (!in_conflict.ok()) return in_conflict.status();
      if (*in_conflict) return std::nullopt;  // waits for Resolve
    }
    absl::StatusOr<Pinned<KeyState>> st = ReadState(key);
    if (!st.ok()) return st.status();
    absl::StatusOr<Copy> raw_local = Read(*local_, key);
    if (!raw_local.ok()) return raw_local.status();
    PushPlan plan{key, Visible(*raw_local), st->pin,
                  st->value ? st->value->remote_etag : ""};
    if (LocalIsSynced(plan.local, st->value)) return std::nullopt;
    if (!plan.local && plan.base_etag.empty()) {
      RecordPushed(plan, "", state);
      return std::nullopt;
    }
    return plan;
  }

  void RecordPushed(const PushPlan& plan, const std::string& remote_etag,
                    Batch& state) {
    state.Put(keys_.state(plan.key),
              EncodeKeyState({plan.key, remote_etag, HashOf(plan.local)}),
              {plan.state_pin});
  }

  // One remote Commit for the chunk; keys the remote refused by
  // precondition are settled one by one (read back) and the rest is sent
  // again. Anything else the Commit cannot tell per key (an unknown
  // outcome, a refused value) falls back to one request per key, whose
  // preconditions make a replay of what did land harmless.
  absl::Status PushChunk(std::vector<PushPlan> chunk, Batch& state,
                         SyncCounters& counts) {
    while (chunk.size() > 1) {
      Batch writes;
      for (const PushPlan& p : chunk) {
        if (p.local) {
          writes.Put(p.key, p.local->value, {p.precondition()});
        } else {
          writes.Delete(p.key, p.precondition());
        }
      }
      absl::StatusOr<CommitResult> sent = remote_->Commit(writes);
      if (sent.ok()) {
        for (std::size_t i = 0; i < chunk.size(); ++i) {
          ++counts.pushed;
          RecordPushed(chunk[i], chunk[i].local ? sent->etags[i] : "", state);
        }
        return absl::OkStatus();
      }
      if (sent.status().code() == absl::StatusCode::kUnavailable) {
        return sent.status();
      }
      std::set<std::string> refused;
      if (IsCasMismatch(sent.status())) {
        for (const Conflict& c : cask::Conflicts(sent.status()))
          refused.insert(c.key);
      }
      if (refused.empty()) break;
      std::vector<PushPlan> rest;
      for (PushPlan& p : chunk) {
        if (!refused.count(p.key)) {
          rest.push_back(std::move(p));
        } else if (absl::Status s = Settle(p, sent.status(), state, counts);
                   !s.ok()) {
          return s;
        }
      }
      chunk = std::move(rest);
    }
    for (const PushPlan& p : chunk) {
      if (absl::Status s = SendOne(p, state, counts); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status SendOne(const PushPlan& plan, Batch& state,
                       SyncCounters& counts) {
    absl::StatusOr<std::string> sent = std::string();
    if (plan.local) {
      sent = remote_->Set(plan.key, plan.local->value, {plan.precondition()});
    } else if (absl::Status removed =
                   remote_->Remove(plan.key, plan.precondition());
               !removed.ok()) {
      sent = removed;
    }
    if (sent.ok()) {
      ++counts.pushed;
      RecordPushed(plan, plan.local ? *sent : "", state);
      return absl::OkStatus();
    }
    return Settle(plan, sent.status(), state, counts);
  }

  // The remote did not acknowledge the write of `plan` (err).
  absl::Status Settle(const PushPlan& plan, const absl::Status& err,
                      Batch& state, SyncCounters& counts) {
    if (err.code() == absl::StatusCode::kUnavailable) return err;
    if (!IsCasMismatch(err) && err.code() != absl::StatusCode::kUnknown &&
        !IsRejection(err)) {
      return err;
    }
    // Never guess: read the remote back and look at what it holds.
    absl::StatusOr<Copy> remote = Read(*remote_, plan.key);
    if (!remote.ok()) return remote.status();
    if (SameContent(*remote, plan.local)) {
      if (err.code() == absl::StatusCode::kUnknown) {
        ++counts.pushed;
      } else {
        ++counts.converged;
      }
      RecordPushed(plan, *remote ? (*remote)->meta.etag : "", state);
      return absl::OkStatus();
    }
    std::string remote_etag = *remote ? (*remote)->meta.etag : "";
    if (err.code() == absl::StatusCode::kUnknown &&
        remote_etag == plan.base_etag) {
      // Not applied. Stop here; the next round sends it again.
      return absl::UnavailableError(
          absl::StrCat("cask sync: push of \"", plan.key,
                       "\" was not applied: ", err.message()));
    }
    std::string reason =
        IsRejection(err) ? absl::StrCat("rejected: ", err.message()) : "push";
    AddConflict(state, plan.key, *remote, reason, counts);
    return absl::OkStatus();
  }

  // ---- pull

  // One key of a pull page: the remote copy when the page already tells
  // it (a feed event that carries its value, a delete, a scan page read
  // with values), else nullopt and it is read from the remote.
  struct PullItem {
    std::string key;
    std::optional<Copy> remote;
    // A put event's etag when its value is not in `remote`: our own push
    // coming back needs no read.
    std::string event_etag;
    // The key's sync state when the caller already read it.
    std::optional<Pinned<KeyState>> state;
  };

  absl::Status PullRound(SyncCounters& counts, bool& work) {
    if (!use_feed_) return ScanPull(counts, work);
    absl::StatusOr<Pinned<std::uint64_t>> cp =
        ReadCheckpoint(keys_.pull_checkpoint());
    if (!cp.ok()) return cp.status();
    std::uint64_t after = cp->value.value_or(0);
    absl::StatusOr<std::vector<ChangeEvent>> events =
        remote_->Changes(after, options_.page_size);
    if (events.status().code() == absl::StatusCode::kUnimplemented) {
      use_feed_ = false;  // e.g. a server whose store has no log
      return ScanPull(counts, work);
    }
    if (events.status().code() == absl::StatusCode::kOutOfRange) {
      work = true;
      ++counts.full_compares;
      absl::StatusOr<std::uint64_t> resume = FindResumePoint(*remote_, after);
      if (!resume.ok()) return resume.status();
      bool ignored = false;
      if (absl::Status s = ScanPull(counts, ignored); !s.ok()) return s;
      return SetCheckpoint(keys_.pull_checkpoint(), *resume, cp->pin);
    }
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    // The last event of each key in the page tells its remote copy at
    // that revision; a later page brings anything newer.
    std::vector<PullItem> items;
    std::map<std::string, std::size_t> index;
    auto slot = [&](const std::string& key) -> PullItem& {
      auto [it, fresh] = index.emplace(key, items.size());
      if (fresh) items.push_back(PullItem{key, std::nullopt, "", std::nullopt});
      return items[it->second];
    };
    for (const ChangeEvent& e : *events) {
      if (e.kind == ChangeKind::kClear) {
        // What the clear left is read back: keys synced before and keys
        // of this page under the cleared base.
        absl::StatusOr<std::vector<std::string>> under = SyncedKeysUnder(e.key);
        if (!under.ok()) return under.status();
        for (const std::string& k : *under) slot(k);
        for (PullItem& item : items) {
          if (IsUnderBase(item.key, e.key)) {
            item.remote.reset();
            item.event_etag.clear();
          }
        }
        continue;
      }
      PullItem& item = slot(e.key);
      item.event_etag.clear();
      if (e.kind != ChangeKind::kPut) {
        item.remote = Copy();
      } else if (e.value && options_.bulk_pull) {
        Item copy;
        copy.value = *e.value;
        copy.meta.etag = e.etag;
        copy.meta.size = e.size;
        copy.meta.mtime = e.time;
        copy.meta.revision = e.revision;
        item.remote = Copy(std::move(copy));
      } else {
        item.remote.reset();
        item.event_etag = e.etag;
      }
    }
    Batch done;
    done.Put(keys_.pull_checkpoint(), absl::StrCat(events->back().revision),
             {cp->pin});
    if (absl::StatusOr<bool> did = PullItems(std::move(items), done, counts);
        !did.ok()) {
      return did.status();
    }
    work = true;
    return absl::OkStatus();
  }

  // Applies a page of remote copies with one local commit (with `extra`,
  // e.g. the checkpoint the page reaches); if a local write got in the way,
  // key by key, then `extra` alone. Reads what the page does not tell from
  // the remote. Returns whether anything was recorded.
  absl::StatusOr<bool> PullItems(std::vector<PullItem> items,
                                 const Batch& extra, SyncCounters& counts) {
    absl::StatusOr<std::set<std::string>> conflicted = ConflictNames();
    if (!conflicted.ok()) return conflicted.status();
    std::vector<std::size_t> fetch, todo;
    for (std::size_t i = 0; i < items.size(); ++i) {
      PullItem& item = items[i];
      if (!item.state) {
        absl::StatusOr<Pinned<KeyState>> st = ReadState(item.key);
        if (!st.ok()) return st.status();
        item.state = *std::move(st);
      }
      if (!item.remote) {
        const std::optional<KeyState>& st = item.state->value;
        if (!item.event_etag.empty() && st &&
            st->remote_etag == item.event_etag) {
          continue;  // our own push coming back
        }
        fetch.push_back(i);
      }
      todo.push_back(i);
    }
    absl::Status fetched = ParallelFor(fetch.size(), options_.read_parallelism,
                                       [&](std::size_t f) -> absl::Status {
                                         PullItem& item = items[fetch[f]];
                                         absl::StatusOr<Copy> copy =
                                             Read(*remote_, item.key);
                                         if (!copy.ok()) return copy.status();
                                         item.remote = *std::move(copy);
                                         return absl::OkStatus();
                                       });
    if (!fetched.ok()) return fetched;
    Batch batch = extra;
    SyncCounters delta;
    bool any = false;
    for (std::size_t i : todo) {
      const PullItem& item = items[i];
      absl::StatusOr<bool> planned = PlanPull(
          item.key, *item.remote, *item.state,
          conflicted->count(keys_.conflict(item.key)) > 0, batch, delta);
      if (!planned.ok()) return planned.status();
      any = any || *planned;
    }
    if (batch.empty()) return false;
    absl::Status s = local_->Commit(batch).status();
    if (s.ok()) {
      Add(counts, delta);
      return any;
    }
    if (!IsCasMismatch(s)) return s;
    for (std::size_t i : todo) {
      absl::StatusOr<bool> did = PullKey(items[i].key, counts);
      if (!did.ok()) return did.status();
    }
    if (absl::Status c = CommitState(extra); !c.ok()) return c;
    return true;
  }

  // Applies the remote's current copy of `key` locally when the local copy
  // is the one last synced; records a conflict when it is not. Returns
  // whether anything was recorded.
  absl::StatusOr<bool> PullKey(const std::string& key, SyncCounters& counts) {
    absl::StatusOr<Copy> remote = Read(*remote_, key);
    if (!remote.ok()) return remote.status();
    // A local write racing with us fails the commit's precondition; the
    // second look then sees it as an unsynced edit.
    for (int attempt = 0; attempt < 3; ++attempt) {
      absl::StatusOr<Pinned<KeyState>> st = ReadState(key);
      if (!st.ok()) return st.status();
      absl::StatusOr<bool> in_conflict = local_->Has(keys_.conflict(key));
      if (!in_conflict.ok()) return in_conflict.status();
      Batch batch;
      SyncCounters delta;
      absl::StatusOr<bool> planned =
          PlanPull(key, *remote, *st, *in_conflict, batch, delta);
      if (!planned.ok() || !*planned) return planned;
      absl::Status s = local_->Commit(batch).status();
      if (s.ok()) {
        Add(counts, delta);
        return true;
      }
      if (!IsCasMismatch(s)) return s;
    }
    return absl::AbortedError(absl::StrCat(
        "cask sync: key \"", key, "\" kept changing locally during pull"));
  }

  // For remotes without a feed: compare every remote etag with the one
  // last synced. Where the remote counts its writes (CurrentRevision, e.g.
  // Redis), a round that finds the count where the last complete scan
  // left it skips the scan: one request.
  absl::Status ScanPull(SyncCounters& counts, bool& work) {
    // Only a remote without a log counts writes one per key (a feed's
    // revision moves once per transaction).
    std::optional<std::uint64_t> revision;
    if (!remote_->capabilities().watch) {
      absl::StatusOr<std::uint64_t> r = remote_->CurrentRevision();
      if (r.ok()) {
        revision = *r;
      } else if (r.status().code() != absl::StatusCode::kUnimplemented) {
        return r.status();
      }
    }
    absl::StatusOr<Pinned<std::uint64_t>> seen =
        ReadCheckpoint(keys_.scan_revision());
    if (!seen.ok()) return seen.status();
    if (revision && seen->value == revision) {
      scanned_at_ = revision;
      return absl::OkStatus();
    }
    bool expiring = true;
    absl::Status s = absl::UnimplementedError("");
    if (options_.bulk_pull) s = PagedScanPull(counts, work, expiring);
    if (s.code() == absl::StatusCode::kUnimplemented) {
      expiring = true;  // GetMeta per key: not worth tracking
      s = KeysScanPull(counts, work);
    }
    if (!s.ok()) return s;
    // Expiry does not move the counter: such a remote is scanned each
    // round.
    if (revision && !expiring) scanned_at_ = revision;
    return absl::OkStatus();
  }

  // The scan in pages of (etag, and where most of a page changed, value):
  // a page mostly unchanged costs no values, a new device reads the
  // values with the page instead of one read per key. kUnimplemented when
  // the remote cannot scan (before anything was done).
  absl::Status PagedScanPull(SyncCounters& counts, bool& work, bool& expiring) {
    expiring = false;
    std::set<std::string> listed;
    bool with_values = false;
    std::string after;
    while (true) {
      std::vector<PullItem> changed;
      absl::StatusOr<ScanPage> page =
          ReadScanPage(after, with_values, listed, expiring, changed);
      if (!page.ok()) return page.status();
      if (!with_values && changed.size() > 1 &&
          changed.size() * 2 > page->entries.size()) {
        // Most of the page changed: read it again with values.
        with_values = true;
        changed.clear();
        page = ReadScanPage(after, true, listed, expiring, changed);
        if (!page.ok()) return page.status();
      }
      const std::size_t n = page->entries.size();
      with_values = changed.size() * 2 > n;
      if (!changed.empty()) {
        absl::StatusOr<bool> did =
            PullItems(std::move(changed), Batch(), counts);
        if (!did.ok()) return did.status();
        work = work || *did;
      }
      if (page->next_after.empty()) break;
      after = page->next_after;
    }
    return PullUnlisted(listed, counts, work);
  }

  // One page of the remote scan after `after`: adds its keys to `listed`
  // and the keys whose etag differs from the one last synced to `changed`
  // (with their copies when read `with_values`).
  absl::StatusOr<ScanPage> ReadScanPage(const std::string& after,
                                        bool with_values,
                                        std::set<std::string>& listed,
                                        bool& expiring,
                                        std::vector<PullItem>& changed) {
    ScanOptions opt;
    opt.limit = options_.page_size;
    opt.start_after = after;
    opt.with_values = with_values;
    absl::StatusOr<ScanPage> page = remote_->Scan("", opt);
    if (!page.ok()) return page.status();
    for (ScanEntry& e : page->entries) {
      listed.insert(e.key);
      if (e.meta.expires) expiring = true;
      absl::StatusOr<Pinned<KeyState>> st = ReadState(e.key);
      if (!st.ok()) return st.status();
      if (st->value && st->value->remote_etag == e.meta.etag) continue;
      PullItem item{e.key, std::nullopt, "", *std::move(st)};
      if (with_values) {
        item.remote = Copy(Item{std::move(e.value), e.meta});
      }
      changed.push_back(std::move(item));
    }
    return page;
  }

  // Keys synced before that the remote no longer lists were removed there
  // (each is read back: it may have come back since its page).
  absl::Status PullUnlisted(const std::set<std::string>& listed,
                            SyncCounters& counts, bool& work) {
    absl::StatusOr<std::vector<std::string>> synced = SyncedKeysUnder("");
    if (!synced.ok()) return synced.status();
    std::vector<PullItem> gone;
    for (const std::string& key : *synced) {
      if (!listed.count(key))
        gone.push_back(PullItem{key, std::nullopt, "", std::nullopt});
    }
    for (std::size_t i = 0; i < gone.size(); i += options_.page_size) {
      std::vector<PullItem> page(
          gone.begin() + i,
          gone.begin() + std::min(gone.size(), i + options_.page_size));
      absl::StatusOr<bool> did = PullItems(std::move(page), Batch(), counts);
      if (!did.ok()) return did.status();
      work = work || *did;
    }
    return absl::OkStatus();
  }

  // The scan for remotes that cannot scan (or with bulk_pull off): one
  // Keys call, then one GetMeta per key this device has synced before (a
  // key it never had is read at once).
  absl::Status KeysScanPull(SyncCounters& counts, bool& work) {
    absl::StatusOr<std::vector<std::string>> remote_keys = remote_->Keys("");
    if (!remote_keys.ok()) return remote_keys.status();
    std::set<std::string> listed(remote_keys->begin(), remote_keys->end());
    const std::size_t n = remote_keys->size();
    std::vector<Pinned<KeyState>> states;
    states.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      absl::StatusOr<Pinned<KeyState>> st = ReadState((*remote_keys)[i]);
      if (!st.ok()) return st.status();
      states.push_back(*std::move(st));
    }
    std::vector<char> differs(n, 1);
    absl::Status scanned = ParallelFor(
        n, options_.read_parallelism, [&](std::size_t i) -> absl::Status {
          if (!states[i].value) return absl::OkStatus();
          absl::StatusOr<Meta> meta = remote_->GetMeta((*remote_keys)[i]);
          std::string etag;
          if (meta.ok()) {
            etag = meta->etag;
          } else if (meta.status().code() != absl::StatusCode::kNotFound) {
            return meta.status();
          }
          differs[i] = states[i].value->remote_etag != etag;
          return absl::OkStatus();
        });
    if (!scanned.ok()) return scanned;
    std::vector<PullItem> changed;
    for (std::size_t i = 0; i < n; ++i) {
      if (differs[i]) {
        changed.push_back(PullItem{(*remote_keys)[i], std::nullopt, "",
                                   std::move(states[i])});
      }
    }
    for (std::size_t i = 0; i < changed.size(); i += options_.page_size) {
      std::vector<PullItem> page(
          changed.begin() + i,
          changed.begin() + std::min(changed.size(), i + options_.page_size));
      absl::StatusOr<bool> did = PullItems(std::move(page), Batch(), counts);
      if (!did.ok()) return did.status();
      work = work || *did;
    }
    return PullUnlisted(listed, counts, work);
  }

  // Adds to `batch` what applying the remote copy of `key` locally means:
  // the copy with its state when the local copy is the one last synced, a
  // conflict record when it is not, an updated record for a key already
  // in conflict. `st` is the key's sync state. Returns false when there is
  // nothing to do.
  absl::StatusOr<bool> PlanPull(const std::string& key, const Copy& remote,
                                const Pinned<KeyState>& st, bool in_conflict,
                                Batch& batch, SyncCounters& delta) {
    std::string remote_etag = remote ? remote->meta.etag : "";
    if (st.value ? st.value->remote_etag == remote_etag : !remote) {
      return false;
    }
    if (in_conflict) {
      absl::StatusOr<Copy> rec = Read(*local_, keys_.conflict(key));
      if (!rec.ok()) return rec.status();
      if (*rec) {
        // Still unresolved: keep the conflict current with the remote.
        absl::StatusOr<SyncConflict> c = DecodeConflict((**rec).value);
        if (!c.ok()) return c.status();
        if (c->remote_etag == remote_etag) return false;
        c->remote_exists = remote.has_value();
        c->remote_etag = remote_etag;
        c->remote_value = remote ? remote->value : "";
        batch.Put(keys_.conflict(key), EncodeConflict(*c), {PinOf(*rec)});
        return true;
      }
    }
    absl::StatusOr<Copy> raw_local = Read(*local_, key);
    if (!raw_local.ok()) return raw_local.status();
    const Copy local = Visible(*raw_local);
    const Precondition local_pin = PinOf(*raw_local);
    if (SameContent(remote, local)) {
      ++delta.converged;
    } else if (LocalIsSynced(local, st.value)) {
      if (remote) {
        batch.Put(key, remote->value, {local_pin});
      } else {
        batch.Delete(key, local_pin);
      }
      ++delta.pulled;
    } else {
      // An unsynced local edit: it stays; the remote copy is kept aside.
      AddConflict(batch, key, remote, "pull", delta);
      batch.Verify(key, local_pin);
      return true;
    }
    batch.Put(keys_.state(key),
              EncodeKeyState({key, remote_etag, HashOf(remote)}), {st.pin});
    return true;
  }

  // The names of the conflict records (few): one range read per page
  // instead of one read per key.
  absl::StatusOr<std::set<std::string>> ConflictNames() {
    absl::StatusOr<std::vector<std::string>> names =
        local_->Keys(keys_.conflict_base());
    if (!names.ok()) return names.status();
    return std::set<std::string>(names->begin(), names->end());
  }

  static void Add(SyncCounters& to, const SyncCounters& delta) {
    to.pulled += delta.pulled;
    to.converged += delta.converged;
    to.conflicts += delta.conflicts;
  }

  // ---- shared helpers

  void AddConflict(Batch& batch, const std::string& key, const Copy& remote,
                   std::string reason, SyncCounters& counts) {
    SyncConflict c;
    c.key = key;
    c.remote_exists = remote.has_value();
    c.remote_etag = remote ? remote->meta.etag : "";
    c.remote_value = remote ? remote->value : "";
    c.reason = std::move(reason);
    c.detected = absl::Now();
    batch.Put(keys_.conflict(key), EncodeConflict(c),
              {Precondition::CreateOnly()});
    ++counts.conflicts;
  }

  absl::Status CommitState(const Batch& batch) {
    if (batch.empty()) return absl::OkStatus();
    return local_->Commit(batch).status();
  }

  absl::Status SetCheckpoint(const std::string& name, std::uint64_t revision,
                             const Precondition& pin) {
    return local_->Set(name, absl::StrCat(revision), {pin}).status();
  }

  absl::StatusOr<Pinned<std::uint64_t>> ReadCheckpoint(
      const std::string& name) const {
    absl::StatusOr<Copy> rec = Read(*local_, name);
    if (!rec.ok()) return rec.status();
    Pinned<std::uint64_t> out{std::nullopt, PinOf(*rec)};
    if (*rec) {
      absl::StatusOr<std::uint64_t> v = DecodeCheckpoint((*rec)->value);
      if (!v.ok()) return v.status();
      out.value = *v;
    }
    return out;
  }

  absl::StatusOr<Pinned<KeyState>> ReadState(const std::string& key) {
    return ReadKeyState(*local_, keys_, key);
  }

  // Keys under `base` that the remote held when last synced.
  absl::StatusOr<std::vector<std::string>> SyncedKeysUnder(
      const std::string& base) {
    std::vector<std::string> out;
    ScanOptions opt;
    opt.with_values = true;
    do {
      absl::StatusOr<ScanPage> page = local_->Scan(keys_.state_base(), opt);
      if (!page.ok()) return page.status();
      for (const ScanEntry& e : page->entries) {
        absl::StatusOr<KeyState> s = DecodeKeyState(e.value);
        if (!s.ok()) return s.status();
        if (!s->remote_etag.empty() && IsUnderBase(s->key, base)) {
          out.push_back(s->key);
        }
      }
      opt.start_after = page->next_after;
    } while (!opt.start_after.empty());
    return out;
  }

  // Every user key of `store` plus every key ever synced.
  absl::StatusOr<std::vector<std::string>> AllKnownKeys(Driver& store) {
    absl::StatusOr<std::vector<std::string>> keys = store.Keys("");
    if (!keys.ok()) return keys.status();
    absl::StatusOr<std::vector<std::string>> synced = SyncedKeysUnder("");
    if (!synced.ok()) return synced.status();
    std::set<std::string> all(keys->begin(), keys->end());
    all.insert(synced->begin(), synced->end());
    return std::vector<std::string>(all.begin(), all.end());
  }

  // The keys a page of local events touched, each once, in order; a clear
  // touches every synced key under its base.
  absl::StatusOr<std::vector<std::string>> KeysOf(
      const std::vector<ChangeEvent>& events) {
    std::vector<std::string> keys;
    std::set<std::string> seen;
    for (const ChangeEvent& e : events) {
      if (e.kind != ChangeKind::kClear) {
        if (seen.insert(e.key).second) keys.push_back(e.key);
        continue;
      }
      absl::StatusOr<std::vector<std::string>> under = SyncedKeysUnder(e.key);
      if (!under.ok()) return under.status();
      for (std::string& k : *under) {
        if (seen.insert(k).second) keys.push_back(std::move(k));
      }
    }
    return keys;
  }

  const std::shared_ptr<Driver> local_;
  const std::shared_ptr<CountingDriver> remote_;
  const SyncOptions options_;
  const StateKeys keys_;
  bool use_feed_;  // guarded by round_mu_
  // The remote's write count the round's scan saw (guarded by round_mu_).
  std::optional<std::uint64_t> scanned_at_;
  const bool batch_push_;

  absl::Mutex round_mu_;
  mutable absl::Mutex status_mu_;
  SyncStatus status_ ABSL_GUARDED_BY(status_mu_);

  absl::Mutex follow_mu_;
  bool stop_ ABSL_GUARDED_BY(follow_mu_) = false;
  bool poked_ ABSL_GUARDED_BY(follow_mu_) = false;
  std::thread follower_;
  std::atomic<bool> following_{false};
};

absl::StatusOr<std::vector<SyncConflict>> ListSyncConflicts(
    Driver& local, std::string_view peer) {
  StateKeys keys(peer);
  absl::StatusOr<std::vector<std::string>> names =
      local.Keys(keys.conflict_base());
  if (!names.ok()) return names.status();
  std::vector<SyncConflict> out;
  for (const std::string& name : *names) {
    absl::StatusOr<Copy> rec = Read(local, name);
    if (!rec.ok()) return rec.status();
    if (!*rec) continue;  // resolved meanwhile
    absl::StatusOr<SyncConflict> c = DecodeConflict((*rec)->value);
    if (!c.ok()) return c.status();
    out.push_back(*std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const SyncConflict& a, const SyncConflict& b) {
              return a.key < b.key;
            });
  return out;
}

absl::Status ResolveSyncConflict(
    Driver& store, std::string_view peer, std::string_view raw_key,
    Resolution resolution, std::optional<std::string> merged,
    std::optional<Precondition> local_precondition) {
  StateKeys keys(peer);
  absl::StatusOr<std::string> key = NormalizeKey(raw_key);
  if (!key.ok()) return key.status();
  absl::StatusOr<Copy> rec = Read(store, keys.conflict(*key));
  if (!rec.ok()) return rec.status();
  if (!*rec) {
    return absl::NotFoundError(
        absl::StrCat("no sync conflict on key \"", *key, "\""));
  }
  absl::StatusOr<SyncConflict> c = DecodeConflict((*rec)->value);
  if (!c.ok()) return c.status();
  absl::StatusOr<Pinned<KeyState>> st = ReadKeyState(store, keys, *key);
  if (!st.ok()) return st.status();
  absl::StatusOr<Copy> local = Read(store, *key);
  if (!local.ok()) return local.status();
  Precondition pin = local_precondition ? *local_precondition : PinOf(*local);

  Batch batch;
  batch.Delete(keys.conflict(*key), Precondition::IfMatch((*rec)->meta.etag));
  KeyState next{*key, c->remote_etag, std::string(kDirtyHash)};
  if (resolution == Resolution::kKeepRemote) {
    if (c->remote_exists) {
      batch.Put(*key, c->remote_value, {pin});
      next.synced_hash = Hash(c->remote_value);
    } else {
      batch.Delete(*key, pin);
      next.synced_hash = "";
    }
  } else {
    if (resolution == Resolution::kMerged) {
      if (merged) {
        batch.Put(*key, *merged, {pin});
      } else {
        batch.Delete(*key, pin);
      }
    } else if (local_precondition) {
      batch.Verify(*key, pin);
    }
    batch.Put(keys.dirty(*key), *key);
  }
  batch.Put(keys.state(*key), EncodeKeyState(next), {st->pin});
  return store.Commit(batch).status();
}

std::string SyncPeerForUri(std::string_view uri) {
  std::string_view no_query = uri.substr(0, uri.find('?'));
  return absl::StrCat("u", Hash(no_query).substr(0, 16));
}

absl::StatusOr<std::vector<std::string>> SyncPeers(Driver& local) {
  std::string base = absl::StrCat(ToAbsl(kReservedBase), ":sync");
  absl::StatusOr<std::vector<std::string>> names = local.Keys(base);
  if (!names.ok()) return names.status();
  std::set<std::string> peers;
  for (const std::string& name : *names) {
    std::string_view rest = std::string_view(name).substr(base.size() + 1);
    peers.insert(std::string(rest.substr(0, rest.find(kKeySeparator))));
  }
  return std::vector<std::string>(peers.begin(), peers.end());
}

absl::StatusOr<std::unique_ptr<Sync>> Sync::Create(
    std::shared_ptr<Driver> local, std::shared_ptr<Driver> remote,
    SyncOptions options) {
  if (local == nullptr || remote == nullptr) {
    return absl::InvalidArgumentError("sync needs a local and a remote store");
  }
  Capabilities lc = local->capabilities();
  if (!lc.cas || !lc.atomic_batch || !lc.watch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sync needs a local store with CAS, atomic commits and a change log "
        "(the engine); ",
        ToAbsl(local->name()), " lacks one"));
  }
  if (!remote->capabilities().cas) {
    return absl::InvalidArgumentError(
        absl::StrCat("sync needs a remote store with CAS; ",
                     ToAbsl(remote->name()), " has none"));
  }
  absl::StatusOr<std::string> peer = NormalizeKey(options.peer);
  if (options.peer.empty() || !peer.ok() || *peer != options.peer ||
      peer->find(kKeySeparator) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sync peer name \"", options.peer, "\" is not one key segment"));
  }
  if (options.page_size == 0) options.page_size = 500;
  return std::unique_ptr<Sync>(new Sync(std::make_unique<Impl>(
      std::move(local), std::move(remote), std::move(options))));
}

Sync::Sync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sync::~Sync() = default;
absl::StatusOr<SyncReport> Sync::RunOnce() { return impl_->RunOnce(); }
void Sync::Follow() { impl_->Follow(); }
void Sync::StopFollow() { impl_->StopFollow(); }
absl::StatusOr<std::vector<SyncConflict>> Sync::Conflicts() {
  return impl_->Conflicts();
}
absl::Status Sync::Resolve(std::string_view key, Resolution resolution,
                           std::optional<std::string> merged,
                           std::optional<Precondition> local_precondition) {
  return impl_->Resolve(key, resolution, std::move(merged),
                        std::move(local_precondition));
}
SyncStatus Sync::status() const { return impl_->status(); }

}  // namespace cask
