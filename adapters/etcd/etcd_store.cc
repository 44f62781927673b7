#include "etcd_store.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/scan.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "etcd_client.h"
#include "etcd_codec.h"
#include "etcd_errors.h"
#include "etcd_feed.h"
#include "uri.h"

namespace cask {
namespace {

using etcd_internal::B64;
using etcd_internal::BadReply;
using etcd_internal::EtcdClient;
using etcd_internal::MalformedReply;
using etcd_internal::PrefixEnd;
using etcd_internal::UnB64;
using transport::RequestKind;
using json = nlohmann::json;

// Attempts of a txn whose pinned keys changed while its preconditions kept
// holding (each failed attempt applied nothing).
constexpr int kMaxAttempts = 16;

// One etcd key-value as the gateway returns it.
struct Kv {
  std::string key;    // without the store prefix
  std::string value;  // decoded value bytes (header removed)
  Meta meta;
  std::int64_t lease = 0;
  bool expired = false;  // present in etcd but past its expiry
};

// A txn compare pinning a key to its state in a snapshot.
struct Pin {
  std::int64_t mod_revision = 0;  // 0: the key must not exist
};

json CompareFor(const std::string& etcd_key, const Pin& pin) {
  if (pin.mod_revision == 0) {
    return {{"key", B64(etcd_key)},
            {"target", "CREATE"},
            {"result", "EQUAL"},
            {"create_revision", "0"}};
  }
  return {{"key", B64(etcd_key)},
          {"target", "MOD"},
          {"result", "EQUAL"},
          {"mod_revision", absl::StrCat(pin.mod_revision)}};
}

// The compare of a precondition that needs no read: create-only, or a swap
// on one etag that is a revision this store could have issued.
std::optional<Pin> DirectPin(const Precondition& p) {
  if (!p.if_match && p.if_none_match && p.if_none_match->size() == 1 &&
      (*p.if_none_match)[0] == kAnyEtag) {
    return Pin{0};
  }
  if (p.if_match && !p.if_none_match && p.if_match->size() == 1) {
    const std::string& tag = (*p.if_match)[0];
    std::int64_t rev = 0;
    if (absl::SimpleAtoi(tag, &rev) && rev > 0 && absl::StrCat(rev) == tag) {
      return Pin{rev};
    }
  }
  return std::nullopt;
}

std::optional<std::string> EtagOf(const std::optional<Kv>& kv) {
  if (!kv || kv->expired) return std::nullopt;
  return kv->meta.etag;
}

class EtcdStore final : public Driver {
 public:
  explicit EtcdStore(EtcdOptions options)
      : options_(std::move(options)), client_(options_), feed_(options_) {}

  std::string_view name() const override { return "etcd"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = caps.atomic_batch = caps.ttl = caps.watch = true;
    caps.snapshot = caps.get_at = true;
    caps.max_value_bytes = options_.max_value_bytes;
    return caps;
  }

  // One read, to fail early when the server is unreachable.
  absl::Status Ping() {
    return Guard("open", [&]() -> absl::Status {
      json body = {
          {"key", B64(options_.prefix)}, {"limit", "1"}, {"keys_only", true}};
      return Post("/v3/kv/range", body, RequestKind::kRead, "open").status();
    });
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    return Guard("get", [&]() -> absl::StatusOr<Item> {
      absl::StatusOr<std::optional<Kv>> kv = ReadOne(key, "get");
      if (!kv.ok()) return kv.status();
      if (!*kv || (*kv)->expired) return NotFound(key);
      return Item{std::move((*kv)->value), (*kv)->meta};
    });
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    return Guard("meta", [&]() -> absl::StatusOr<Meta> {
      absl::StatusOr<std::optional<Kv>> kv = ReadOne(key, "meta");
      if (!kv.ok()) return kv.status();
      if (!*kv || (*kv)->expired) return NotFound(key);
      return (*kv)->meta;
    });
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    std::vector<BatchOp> ops;
    ops.push_back(BatchOp{BatchOpKind::kPut, key, std::string(value), options});
    absl::StatusOr<CommitResult> r = Apply(ops, "set");
    if (!r.ok()) return SingleKeyError(r.status(), key);
    return std::move(r->etags[0]);
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    std::vector<BatchOp> ops;
    ops.push_back(BatchOp{BatchOpKind::kDelete, key, "", {precondition, {}}});
    absl::StatusOr<CommitResult> r = Apply(ops, "remove");
    if (!r.ok()) return SingleKeyError(r.status(), key);
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    if (batch.empty()) return CommitResult{};
    return Apply(batch.ops(), "commit");
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    return ScanAt(base, options, 0, absl::Now());
  }

  // A snapshot is a revision: every read through it is a range read at
  // that revision (etcd's MVCC keeps it until compaction).
  absl::StatusOr<std::unique_ptr<Snapshot>> DoOpenSnapshot() override {
    return Guard(
        "snapshot", [&]() -> absl::StatusOr<std::unique_ptr<Snapshot>> {
          absl::StatusOr<std::int64_t> revision =
              CurrentEtcdRevision("snapshot");
          if (!revision.ok()) return revision.status();
          return std::unique_ptr<Snapshot>(
              std::make_unique<EtcdSnapshot>(this, *revision, absl::Now()));
        });
  }

  absl::StatusOr<Item> DoGetAt(const std::string& key,
                               std::uint64_t revision) override {
    if (revision == 0) {
      // Revision 0 is before any write (etcd would read 0 as "latest").
      return absl::NotFoundError(
          absl::StrCat("key \"", key, "\" not found at revision 0"));
    }
    if (revision > static_cast<std::uint64_t>(INT64_MAX)) {
      return absl::OutOfRangeError(
          absl::StrCat("etcd: revision ", revision, " is ahead of the store"));
    }
    return Guard("get at", [&]() -> absl::StatusOr<Item> {
      const absl::Time now = absl::Now();
      json body = {{"key", B64(EtcdKey(key))},
                   {"revision", static_cast<std::int64_t>(revision)}};
      // A compacted or future revision is OUT_OF_RANGE from etcd itself.
      absl::StatusOr<json> r =
          Post("/v3/kv/range", body, RequestKind::kRead, "get at");
      if (!r.ok()) return r.status();
      std::optional<Kv> kv = FirstKv(*r, now);
      if (!kv) return NotFound(key);
      if (kv->expired) {
        // Reads never return an expired value; when it expired between
        // `revision` and now is not recorded.
        const std::int64_t current =
            etcd_internal::ReplyInt(r->at("header"), "revision");
        if (static_cast<std::int64_t>(revision) >= current) {
          return NotFound(key);
        }
        return absl::OutOfRangeError(
            absl::StrCat("etcd: key \"", key, "\" has expired since revision ",
                         revision, "; its value then is no longer returned"));
      }
      return Item{std::move(kv->value), kv->meta};
    });
  }

  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override {
    return feed_.Changes(after_revision, limit);
  }

  // The cluster's revision (the header of a one-key read): every event of
  // this store so far has a revision at most this.
  absl::StatusOr<std::uint64_t> DoCurrentRevision() override {
    return Guard("revision", [&]() -> absl::StatusOr<std::uint64_t> {
      json body = {
          {"key", B64(options_.prefix)}, {"limit", "1"}, {"keys_only", true}};
      absl::StatusOr<json> r =
          Post("/v3/kv/range", body, RequestKind::kRead, "revision");
      if (!r.ok()) return r.status();
      return static_cast<std::uint64_t>(
          etcd_internal::ReplyInt(r->at("header"), "revision"));
    });
  }

  absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback) override {
    return feed_.Watch(base, after_revision, std::move(callback));
  }

  absl::Status DoClear(const std::string& base) override {
    return Guard("clear", [&]() -> absl::Status {
      std::string start = RangeStart(base);
      json body = {{"key", B64(start)}, {"range_end", B64(PrefixEnd(start))}};
      return Post("/v3/kv/deleterange", body, RequestKind::kWrite, "clear")
          .status();
    });
  }

 private:
  // Runs `fn`, turning a malformed reply into kInternal: no exception
  // leaves the store.
  template <typename Fn>
  static auto Guard(std::string_view what, Fn fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (const std::exception& e) {  // BadReply, nlohmann's...
      return MalformedReply(what, e.what());
    }
  }

  absl::StatusOr<json> Post(std::string_view path, const json& body,
                            RequestKind kind, std::string_view what) {
    return client_.Post(path, body, kind, what);
  }

  std::string EtcdKey(std::string_view key) const {
    return absl::StrCat(options_.prefix, ToAbsl(key));
  }

  std::string RangeStart(const std::string& base) const {
    return base.empty() ? options_.prefix : EtcdKey(base + ":");
  }

  static absl::Status NotFound(const std::string& key) {
    return KeyNotFoundError(key);
  }

  static absl::Status SingleKeyError(const absl::Status& s,
                                     const std::string& key) {
    if (!IsCasMismatch(s)) return s;
    std::vector<Conflict> c = Conflicts(s);
    return CasMismatchError(key, c.empty() ? std::nullopt : c[0].actual);
  }

  // One page: a range read from just past start_after to the base's end
  // with etcd's own limit, at `revision` (0: the latest), hiding what has
  // expired at `now` (a snapshot passes the time it was taken, so it keeps
  // showing one state). Metadata lives in
  // each value's header, so values are always read; one range is one
  // consistent read of metadata and values.
  absl::StatusOr<ScanPage> ScanAt(const std::string& base,
                                  const ScanOptions& options,
                                  std::int64_t revision, absl::Time now) {
    return Guard("scan", [&]() -> absl::StatusOr<ScanPage> {
      // The smallest etcd key past start_after is start_after + NUL.
      std::string start =
          EtcdKey(ScanLowerBound(base, options.start_after)) + '\0';
      std::string upper = ScanUpperBound(base);
      std::string end =
          upper.empty() ? PrefixEnd(options_.prefix) : EtcdKey(upper);
      json body = {{"key", B64(start)},
                   {"range_end", B64(end)},
                   {"limit", static_cast<std::int64_t>(options.limit)}};
      if (revision != 0) body["revision"] = revision;
      absl::StatusOr<json> r =
          Post("/v3/kv/range", body, RequestKind::kRead, "scan");
      if (!r.ok()) return r.status();
      ScanPage page;
      std::string last;
      for (const json& j : r->value("kvs", json::array())) {
        Kv kv = ParseKv(j, now);
        last = kv.key;
        if (kv.expired) continue;  // leased, past its expiry, not yet revoked
        ScanEntry& entry = page.entries.emplace_back();
        entry.key = std::move(kv.key);
        entry.meta = std::move(kv.meta);
        if (options.with_values) entry.value = std::move(kv.value);
      }
      if (r->value("more", false)) page.next_after = std::move(last);
      return page;
    });
  }

  // Parses one kv of a range reply. Throws BadReply on a value this
  // adapter did not write.
  Kv ParseKv(const json& j, absl::Time now) const {
    Kv kv;
    kv.key = UnB64(j.at("key")).substr(options_.prefix.size());
    std::string raw = j.contains("value") ? UnB64(j["value"]) : "";
    std::optional<etcd_internal::DecodedValue> decoded =
        etcd_internal::DecodeValue(raw);
    if (!decoded) {
      throw BadReply(absl::StrCat("key ", QuoteForMessage(kv.key),
                                  " holds a value cask did not write"));
    }
    std::int64_t mod = etcd_internal::ReplyInt(j, "mod_revision");
    kv.meta.etag = absl::StrCat(mod);
    kv.meta.revision = static_cast<std::uint64_t>(mod);
    kv.meta.mtime = decoded->header.mtime;
    kv.meta.expires = decoded->header.expires;
    kv.expired = kv.meta.expires && *kv.meta.expires <= now;
    kv.lease = etcd_internal::ReplyInt(j, "lease");
    kv.value = std::string(decoded->value);
    kv.meta.size = kv.value.size();
    return kv;
  }

  std::optional<Kv> FirstKv(const json& range, absl::Time now) const {
    auto it = range.find("kvs");
    if (it == range.end() || it->empty()) return std::nullopt;
    return ParseKv(it->at(0), now);
  }

  // `key` at `revision` (0: the latest), expiry judged at `now`.
  absl::StatusOr<std::optional<Kv>> ReadOne(const std::string& key,
                                            std::string_view what,
                                            std::int64_t revision = 0,
                                            absl::Time now = absl::Now()) {
    json body = {{"key", B64(EtcdKey(key))}};
    if (revision != 0) body["revision"] = revision;
    absl::StatusOr<json> r =
        Post("/v3/kv/range", body, RequestKind::kRead, what);
    if (!r.ok()) return r.status();
    return FirstKv(*r, now);
  }

  // The cluster's current revision (any reply's header carries it).
  absl::StatusOr<std::int64_t> CurrentEtcdRevision(std::string_view what) {
    json body = {
        {"key", B64(options_.prefix)}, {"limit", "1"}, {"keys_only", true}};
    absl::StatusOr<json> r =
        Post("/v3/kv/range", body, RequestKind::kRead, what);
    if (!r.ok()) return r.status();
    return etcd_internal::ReplyInt(r->at("header"), "revision");
  }

  // Reads of one revision. etcd compacting past it makes them kOutOfRange
  // (etcd's own OUT_OF_RANGE).
  class EtcdSnapshot final : public Snapshot {
   public:
    EtcdSnapshot(EtcdStore* store, std::int64_t revision, absl::Time taken)
        : store_(store), revision_(revision), taken_(taken) {}
    std::uint64_t revision() const override {
      return static_cast<std::uint64_t>(revision_);
    }

   protected:
    absl::StatusOr<Item> DoGet(const std::string& key) override {
      return Guard("snapshot get", [&]() -> absl::StatusOr<Item> {
        absl::StatusOr<std::optional<Kv>> kv =
            store_->ReadOne(key, "snapshot get", revision_, taken_);
        if (!kv.ok()) return kv.status();
        if (!*kv || (*kv)->expired) return NotFound(key);
        return Item{std::move((*kv)->value), (*kv)->meta};
      });
    }
    absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                    const ScanOptions& options) override {
      return store_->ScanAt(base, options, revision_, taken_);
    }

   private:
    EtcdStore* const store_;
    const std::int64_t revision_;
    const absl::Time taken_;
  };

  // Reads `keys` in one consistent snapshot (a txn of ranges), chunked to
  // stay under etcd's txn size limit.
  absl::StatusOr<std::vector<std::optional<Kv>>> ReadMany(
      const std::vector<std::string>& keys, std::string_view what) {
    std::vector<std::optional<Kv>> out;
    constexpr std::size_t kChunk = 64;
    for (std::size_t i = 0; i < keys.size(); i += kChunk) {
      json success = json::array();
      for (std::size_t j = i; j < keys.size() && j < i + kChunk; ++j) {
        success.push_back(
            {{"request_range", {{"key", B64(EtcdKey(keys[j]))}}}});
      }
      absl::StatusOr<json> r =
          Post("/v3/kv/txn", {{"success", success}}, RequestKind::kRead, what);
      if (!r.ok()) return r.status();
      absl::Time now = absl::Now();
      for (const json& resp : r->value("responses", json::array())) {
        out.push_back(FirstKv(resp.at("response_range"), now));
      }
    }
    if (out.size() != keys.size()) throw BadReply("short txn reply");
    return out;
  }

  // Grants a lease of `seconds`; returns its id and granted TTL.
  absl::StatusOr<std::pair<std::string, std::int64_t>> GrantLease(
      std::int64_t seconds) {
    absl::StatusOr<json> r =
        Post("/v3/lease/grant", {{"TTL", absl::StrCat(seconds)}},
             RequestKind::kWrite, "lease grant");
    if (!r.ok()) {
      // An unknown lease grant left no data behind: nothing was written.
      if (r.status().code() == absl::StatusCode::kUnknown) {
        return absl::UnavailableError(
            absl::StrCat(r.status().message(), "; the value was not written"));
      }
      return r.status();
    }
    std::string id = r->at("ID").get<std::string>();
    return std::make_pair(id, etcd_internal::ReplyInt(*r, "TTL"));
  }

  // Conflicts of every conditioned op against `snapshot` (indexed like
  // ops; entries of unconditioned ops unused).
  static std::vector<Conflict> Evaluate(
      const std::vector<BatchOp>& ops,
      const std::vector<std::optional<Kv>>& snapshot,
      const std::vector<bool>& conditioned) {
    std::vector<Conflict> conflicts;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!conditioned[i]) continue;
      const Precondition& p = ops[i].options.precondition;
      std::optional<std::string> current = EtagOf(snapshot[i]);
      if (!PreconditionHolds(p, current)) {
        conflicts.push_back(
            Conflict{ops[i].key, DescribePrecondition(p), std::move(current)});
      }
    }
    return conflicts;
  }

  // Set, Remove and Commit: see the header for the protocol.
  absl::StatusOr<CommitResult> Apply(const std::vector<BatchOp>& ops,
                                     std::string_view what) {
    return Guard(what, [&]() -> absl::StatusOr<CommitResult> {
      const absl::Time now = absl::Now();
      const std::size_t n = ops.size();
      // Leases first: one per distinct ttl.
      std::map<std::int64_t, std::pair<std::string, std::int64_t>> leases;
      std::vector<std::string> values(n);
      std::vector<std::string> lease_of(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (ops[i].kind != BatchOpKind::kPut) continue;
        std::optional<absl::Time> expires;
        if (ops[i].options.ttl > absl::ZeroDuration()) {
          std::int64_t secs = absl::ToInt64Seconds(
              absl::Ceil(ops[i].options.ttl, absl::Seconds(1)));
          if (secs < 1) secs = 1;
          if (!leases.count(secs)) {
            auto granted = GrantLease(secs);
            if (!granted.ok()) return granted.status();
            leases[secs] = *granted;
          }
          lease_of[i] = leases[secs].first;
          expires = now + absl::Seconds(std::max(secs, leases[secs].second));
        }
        values[i] = etcd_internal::EncodeValue(ops[i].value, {now, expires});
      }
      std::vector<bool> conditioned(n);
      std::vector<std::optional<Pin>> pins(n);
      bool need_read = false;
      for (std::size_t i = 0; i < n; ++i) {
        const Precondition& p = ops[i].options.precondition;
        conditioned[i] = !p.empty();
        if (!conditioned[i]) continue;
        pins[i] = DirectPin(p);
        if (!pins[i]) need_read = true;
      }
      if (n == 1 && !conditioned[0] && ops[0].kind != BatchOpKind::kVerify) {
        return Unconditional(ops[0], values[0], lease_of[0], what);
      }
      if (need_read) {
        std::vector<std::string> keys;
        for (std::size_t i = 0; i < n; ++i) {
          if (conditioned[i]) keys.push_back(ops[i].key);
        }
        absl::StatusOr<std::vector<std::optional<Kv>>> read =
            ReadMany(keys, what);
        if (!read.ok()) return read.status();
        std::vector<std::optional<Kv>> snapshot(n);
        for (std::size_t i = 0, j = 0; i < n; ++i) {
          if (conditioned[i]) snapshot[i] = std::move((*read)[j++]);
        }
        std::vector<Conflict> conflicts = Evaluate(ops, snapshot, conditioned);
        if (!conflicts.empty()) return CommitConflictError(conflicts);
        Repin(snapshot, conditioned, pins);
      }
      for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        json compare = json::array(), success = json::array(),
             failure = json::array();
        for (std::size_t i = 0; i < n; ++i) {
          std::string key = EtcdKey(ops[i].key);
          if (pins[i]) {
            compare.push_back(CompareFor(key, *pins[i]));
            failure.push_back({{"request_range", {{"key", B64(key)}}}});
          }
          if (ops[i].kind == BatchOpKind::kPut) {
            json put = {{"key", B64(key)}, {"value", B64(values[i])}};
            if (!lease_of[i].empty()) put["lease"] = lease_of[i];
            success.push_back({{"request_put", put}});
          } else if (ops[i].kind == BatchOpKind::kDelete) {
            success.push_back({{"request_delete_range", {{"key", B64(key)}}}});
          }
        }
        absl::StatusOr<json> r = Post(
            "/v3/kv/txn",
            {{"compare", compare}, {"success", success}, {"failure", failure}},
            RequestKind::kWrite, what);
        if (!r.ok()) return r.status();
        // On a failed compare the gateway omits "succeeded" altogether.
        if (r->value("succeeded", false)) {
          CommitResult result;
          std::int64_t rev =
              etcd_internal::ReplyInt(r->at("header"), "revision");
          result.revision = static_cast<std::uint64_t>(rev);
          for (const BatchOp& op : ops) {
            result.etags.push_back(
                op.kind == BatchOpKind::kPut ? absl::StrCat(rev) : "");
          }
          return result;
        }
        // The failure branch read every pinned key in the same revision.
        const json& responses = r->value("responses", json::array());
        std::vector<std::optional<Kv>> snapshot(n);
        absl::Time read_at = absl::Now();
        for (std::size_t i = 0, j = 0; i < n; ++i) {
          if (!pins[i]) continue;
          if (j >= responses.size()) throw BadReply("short txn failure");
          snapshot[i] = FirstKv(responses[j++].at("response_range"), read_at);
        }
        std::vector<Conflict> conflicts = Evaluate(ops, snapshot, conditioned);
        if (!conflicts.empty()) return CommitConflictError(conflicts);
        // Every precondition still holds on the new state (a key changed
        // to another acceptable etag, or expired without being revoked):
        // pin on what was read and try again.
        Repin(snapshot, conditioned, pins);
      }
      return absl::AbortedError(absl::StrCat(
          "etcd: ", ToAbsl(what), ": keys kept changing under the txn after ",
          kMaxAttempts, " attempts"));
    });
  }

  static void Repin(const std::vector<std::optional<Kv>>& snapshot,
                    const std::vector<bool>& conditioned,
                    std::vector<std::optional<Pin>>& pins) {
    for (std::size_t i = 0; i < snapshot.size(); ++i) {
      if (!conditioned[i]) continue;
      // Absent: must stay absent. Present (even expired but not yet
      // revoked): must keep its mod_revision.
      pins[i] = Pin{snapshot[i]
                        ? static_cast<std::int64_t>(snapshot[i]->meta.revision)
                        : 0};
    }
  }

  // A write with no precondition: etcd's own put / deleterange.
  absl::StatusOr<CommitResult> Unconditional(const BatchOp& op,
                                             const std::string& value,
                                             const std::string& lease,
                                             std::string_view what) {
    std::string key = B64(EtcdKey(op.key));
    absl::StatusOr<json> r;
    if (op.kind == BatchOpKind::kPut) {
      json put = {{"key", key}, {"value", B64(value)}};
      if (!lease.empty()) put["lease"] = lease;
      r = Post("/v3/kv/put", put, RequestKind::kWrite, what);
    } else {
      r = Post("/v3/kv/deleterange", {{"key", key}}, RequestKind::kWrite, what);
    }
    if (!r.ok()) return r.status();
    std::int64_t rev = etcd_internal::ReplyInt(r->at("header"), "revision");
    CommitResult result;
    result.revision = static_cast<std::uint64_t>(rev);
    result.etags.push_back(op.kind == BatchOpKind::kPut ? absl::StrCat(rev)
                                                        : "");
    return result;
  }

  const EtcdOptions options_;
  EtcdClient client_;
  etcd_internal::EtcdFeed feed_;
};

absl::Status BadUri(std::string_view uri, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad etcd URI ", QuoteForMessage(uri), ": ", ToAbsl(why),
                   " (expected etcd://host[:port][?prefix=P&timeout_ms=N"
                   "&connect_timeout_ms=N&max_value_bytes=N])"));
}

}  // namespace

absl::StatusOr<EtcdOptions> EtcdOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "etcd") return BadUri(text, "scheme must be etcd");
  if (!uri->has_authority || uri->host.empty()) return BadUri(text, "no host");
  if (!uri->user.empty() || !uri->password.empty()) {
    return BadUri(text, "authentication is not supported");
  }
  if (!uri->path.empty() && uri->path != "/") {
    return BadUri(text, "no path expected (use ?prefix=)");
  }
  EtcdOptions o;
  o.host = uri->host;
  if (uri->port) o.port = *uri->port;
  for (const auto& [name, value] : uri->query) {
    if (name == "prefix") {
      o.prefix = value;
      continue;
    }
    if (name != "timeout_ms" && name != "connect_timeout_ms" &&
        name != "max_value_bytes") {
      return BadUri(text,
                    absl::StrCat("unknown parameter ", QuoteForMessage(name)));
    }
    absl::StatusOr<std::uint64_t> v = uri->UintParam(name, 0);
    if (!v.ok()) return v.status();
    if (*v == 0) return BadUri(text, absl::StrCat(name, " must be > 0"));
    if (name == "timeout_ms") {
      o.timeout = absl::Milliseconds(*v);
    } else if (name == "connect_timeout_ms") {
      o.connect_timeout = absl::Milliseconds(*v);
    } else {
      o.max_value_bytes = *v;
    }
  }
  if (o.prefix.empty()) return BadUri(text, "prefix must not be empty");
  return o;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenEtcdStore(EtcdOptions options) {
  if (options.prefix.empty() || options.host.empty()) {
    return absl::InvalidArgumentError("etcd: host and prefix must be set");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.timeout <= absl::ZeroDuration() || options.max_value_bytes == 0) {
    return absl::InvalidArgumentError(
        "etcd: timeouts and max_value_bytes must be > 0");
  }
  auto store = std::make_unique<EtcdStore>(std::move(options));
  if (absl::Status s = store->Ping(); !s.ok()) return s;
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenEtcdStoreUri(std::string_view uri) {
  absl::StatusOr<EtcdOptions> options = EtcdOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return OpenEtcdStore(*std::move(options));
}

}  // namespace cask
