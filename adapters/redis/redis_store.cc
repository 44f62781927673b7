#include "redis_store.h"

#include <iterator>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/scan.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "redis_connection.h"
#include "uri.h"

namespace cask {
namespace {

using redis_internal::Access;
using redis_internal::RedisConnection;
using redis_internal::Reply;
using redis_internal::Script;

// Evaluates every op's precondition against its key's current etag, then
// (only if all hold) applies every op. One script for Set, Remove and
// Commit.
//   KEYS[1] counter, KEYS[2] store id, KEYS[2+i] data key of op i.
//   ARGV[1] a fresh random store id, used only if KEYS[2] is missing;
//   ARGV[2] op count; then per op: kind ('p' put, 'd' delete, 'v' verify),
//   value, ttl in ms (0 = none), and for if-match then if-none-match:
//   mode ('' none, '*' any, 'l' list), tag count, tags.
// Returns {1, etag per op ('' unless put)} or {0, i, current etag ('' when
// absent), ...} listing every failed op.
constexpr char kWriteScript[] = R"lua(
local n = tonumber(ARGV[2])
local ops = {}
local a = 3
local function side()
  local mode = ARGV[a]
  local count = tonumber(ARGV[a + 1])
  a = a + 2
  local tags = {}
  for _ = 1, count do
    tags[ARGV[a]] = true
    a = a + 1
  end
  return mode, tags
end
for i = 1, n do
  local op = {kind = ARGV[a], value = ARGV[a + 1], ttl = tonumber(ARGV[a + 2])}
  a = a + 3
  op.im, op.imt = side()
  op.inm, op.inmt = side()
  ops[i] = op
end
local conflicts = {0}
for i = 1, n do
  local op = ops[i]
  if op.im ~= '' or op.inm ~= '' then
    local cur = redis.call('HGET', KEYS[i + 2], 'e')
    local ok = true
    if op.im ~= '' then
      if not cur then
        ok = false
      elseif op.im == 'l' and not op.imt[cur] then
        ok = false
      end
    end
    if ok and op.inm ~= '' then
      if op.inm == '*' then
        ok = not cur
      elseif cur and op.inmt[cur] then
        ok = false
      end
    end
    if not ok then
      conflicts[#conflicts + 1] = i
      conflicts[#conflicts + 1] = cur or ''
    end
  end
end
if #conflicts > 1 then return conflicts end
local id = redis.call('GET', KEYS[2])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[2], id)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {1}
for i = 1, n do
  local op = ops[i]
  local k = KEYS[i + 2]
  local etag = ''
  if op.kind == 'p' then
    etag = string.format('%x.%s', redis.call('INCR', KEYS[1]), id)
    redis.call('DEL', k)
    if op.ttl > 0 then
      redis.call('HSET', k, 'v', op.value, 'e', etag, 'm',
                 string.format('%d', now), 'x',
                 string.format('%d', now + op.ttl))
      redis.call('PEXPIRE', k, op.ttl)
    else
      redis.call('HSET', k, 'v', op.value, 'e', etag, 'm',
                 string.format('%d', now))
    end
  elseif op.kind == 'd' then
    redis.call('DEL', k)
    redis.call('INCR', KEYS[1])
  end
  out[#out + 1] = etag
end
return out
)lua";

// Metadata without the value: {etag, mtime ms, expiry ms or '', size}, or
// nil when the key is absent.
constexpr char kMetaScript[] = R"lua(
local r = redis.call('HMGET', KEYS[1], 'e', 'm', 'x')
if not r[1] then return false end
return {r[1], r[2], r[3] or '', redis.call('HSTRLEN', KEYS[1], 'v')}
)lua";

// One page of a scan, read atomically: for each key, {etag, mtime ms,
// expiry ms or '', size, value or ''} or false when it is gone. ARGV[1]
// is '1' to read values.
constexpr char kScanScript[] = R"lua(
local out = {}
for i, k in ipairs(KEYS) do
  local r = redis.call('HMGET', k, 'e', 'm', 'x', 'v')
  if not r[1] then
    out[i] = false
  else
    local v = ''
    if ARGV[1] == '1' then v = r[4] or '' end
    out[i] = {r[1], r[2], r[3] or '', redis.call('HSTRLEN', k, 'v'), v}
  end
end
return out
)lua";

// One batch of a Clear: moves the write counter and deletes the batch's
// keys in one atomic step, so no crash or lost connection can leave keys
// deleted while a replica still sees the counter it last synced at. The
// INCR comes first: if it fails, the script stops before deleting.
//   KEYS[1] counter, KEYS[2..] data keys. Returns the number deleted.
constexpr char kClearScript[] = R"lua(
redis.call('INCR', KEYS[1])
return redis.call('DEL', unpack(KEYS, 2))
)lua";

enum ScriptIndex : std::size_t {
  kWrite = 0,
  kMeta = 1,
  kScan = 2,
  kClearBatch = 3
};

constexpr std::uint64_t kMaxValueBytes = 512ull << 20;

std::string_view ReplyText(const redisReply* r) {
  if (r == nullptr ||
      (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) {
    return {};
  }
  return std::string_view(r->str, r->len);
}

bool IsString(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING;
}

absl::Status Malformed(std::string_view what) {
  return absl::InternalError(
      absl::StrCat("redis: unexpected reply to ", ToAbsl(what)));
}

// Escapes glob characters for SCAN MATCH.
std::string GlobEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

bool IsWeakTag(const std::string& t) { return t.rfind("W/", 0) == 0; }

// Encodes one side of a precondition for kWriteScript. `strong`: if-match
// (a weak tag never matches, so it is dropped); else if-none-match (weak
// comparison: "W/x" matches "x", and this store's etags are never weak).
void EncodeSide(const std::optional<std::vector<std::string>>& side,
                bool strong, std::vector<std::string>& args) {
  if (!side) {
    args.insert(args.end(), {"", "0"});
    return;
  }
  if (side->size() == 1 && (*side)[0] == kAnyEtag) {
    args.insert(args.end(), {"*", "0"});
    return;
  }
  std::vector<std::string> tags;
  for (const std::string& t : *side) {
    if (!IsWeakTag(t)) {
      tags.push_back(t);
    } else if (!strong) {
      tags.push_back(t.substr(2));
    }
  }
  args.push_back("l");
  args.push_back(absl::StrCat(tags.size()));
  args.insert(args.end(), tags.begin(), tags.end());
}

std::int64_t TtlMillis(absl::Duration ttl) {
  if (ttl <= absl::ZeroDuration()) return 0;
  return absl::ToInt64Milliseconds(absl::Ceil(ttl, absl::Milliseconds(1)));
}

absl::StatusOr<std::int64_t> ParseInt(const redisReply* r,
                                      std::string_view what) {
  std::int64_t v = 0;
  if (!absl::SimpleAtoi(ToAbsl(ReplyText(r)), &v)) return Malformed(what);
  return v;
}

class RedisStore final : public Driver {
 public:
  explicit RedisStore(RedisOptions options)
      : data_prefix_(options.prefix + "d:"),
        counter_key_(options.prefix + "m:seq"),
        id_key_(options.prefix + "m:id"),
        random_(Seed()),
        conn_(std::move(options),
              {Script{"write", kWriteScript}, Script{"meta", kMetaScript},
               Script{"scan", kScanScript}, Script{"clear", kClearScript}}) {}

  absl::Status Connect() {
    absl::MutexLock lock(&mu_);
    return conn_.Connect();
  }

  std::string_view name() const override { return "redis"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = caps.atomic_batch = caps.ttl = true;
    caps.max_value_bytes = kMaxValueBytes;
    return caps;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    std::string k = DataKey(key);
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Reply> r =
        conn_.Command({"HMGET", k, "v", "e", "m", "x"}, Access::kRead, "get");
    if (!r.ok()) return r.status();
    const redisReply* a = r->get();
    if (a->type != REDIS_REPLY_ARRAY || a->elements != 4) {
      return Malformed("HMGET");
    }
    if (!IsString(a->element[1])) return NotFound(key);
    Item item;
    item.value.assign(ReplyText(a->element[0]));
    absl::Status s = FillMeta(a->element[1], a->element[2], a->element[3],
                              item.value.size(), item.meta);
    if (!s.ok()) return s;
    return item;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Reply> r =
        conn_.Eval(kMeta, {DataKey(key)}, {}, Access::kRead, "meta");
    if (!r.ok()) return r.status();
    const redisReply* a = r->get();
    if (a->type == REDIS_REPLY_NIL) return NotFound(key);
    if (a->type != REDIS_REPLY_ARRAY || a->elements != 4 ||
        a->element[3]->type != REDIS_REPLY_INTEGER) {
      return Malformed("meta");
    }
    Meta meta;
    absl::Status s =
        FillMeta(a->element[0], a->element[1], a->element[2],
                 static_cast<std::uint64_t>(a->element[3]->integer), meta);
    if (!s.ok()) return s;
    return meta;
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    Batch batch;
    batch.mutable_ops().push_back(
        BatchOp{BatchOpKind::kPut, key, std::string(value), options});
    absl::StatusOr<CommitResult> r = Run(batch, "set");
    if (!r.ok()) return SingleKeyError(r.status(), key);
    return std::move(r->etags[0]);
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    Batch batch;
    batch.Delete(key, precondition);
    absl::StatusOr<CommitResult> r = Run(batch, "remove");
    if (!r.ok()) return SingleKeyError(r.status(), key);
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    if (batch.empty()) return CommitResult{};
    return Run(batch, "commit");
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  // Redis keeps no order: one page is a full SCAN of the base's keys that
  // keeps only the `limit` smallest past start_after (memory bounded by
  // the page; time linear in the base's size per page), then one script
  // reads their metadata and values atomically.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    const std::string lower = ScanLowerBound(base, options.start_after);
    absl::MutexLock lock(&mu_);
    std::set<std::string> smallest;
    bool more = false;
    absl::Status s = ScanKeys(base, [&](std::string_view k) {
      if (k <= lower) return absl::OkStatus();
      if (smallest.size() == options.limit) {
        more = true;
        if (k >= *smallest.rbegin()) return absl::OkStatus();
        smallest.erase(std::prev(smallest.end()));
      }
      smallest.emplace(k);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    ScanPage page;
    if (smallest.empty()) return page;
    std::vector<std::string> data_keys;
    data_keys.reserve(smallest.size());
    for (const std::string& k : smallest) data_keys.push_back(DataKey(k));
    absl::StatusOr<Reply> r =
        conn_.Eval(kScan, data_keys, {options.with_values ? "1" : "0"},
                   Access::kRead, "scan");
    if (!r.ok()) return r.status();
    const redisReply* a = r->get();
    if (a->type != REDIS_REPLY_ARRAY || a->elements != smallest.size()) {
      return Malformed("scan");
    }
    std::size_t i = 0;
    for (const std::string& k : smallest) {
      const redisReply* e = a->element[i++];
      if (e->type != REDIS_REPLY_ARRAY) continue;  // removed or expired
      if (e->elements != 5 || e->element[3]->type != REDIS_REPLY_INTEGER) {
        return Malformed("scan");
      }
      ScanEntry& entry = page.entries.emplace_back();
      entry.key = k;
      if (absl::Status f = FillMeta(
              e->element[0], e->element[1], e->element[2],
              static_cast<std::uint64_t>(e->element[3]->integer), entry.meta);
          !f.ok()) {
        return f;
      }
      if (options.with_values) entry.value.assign(ReplyText(e->element[4]));
    }
    if (more) page.next_after = *smallest.rbegin();
    return page;
  }

  // Deletes in batches of 256 keys, each batch one kClearScript call that
  // also moves the write counter: a Clear interrupted at any point has
  // moved the counter past every deletion it made. A Clear that finds no
  // key changes nothing and leaves the counter alone.
  absl::Status DoClear(const std::string& base) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> batch{counter_key_};
    auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
      if (batch.size() == 1) return absl::OkStatus();
      absl::StatusOr<Reply> r =
          conn_.Eval(kClearBatch, batch, {}, Access::kWrite, "clear");
      batch.resize(1);
      return r.status();
    };
    absl::Status s = ScanKeys(base, [&](std::string_view k) {
      batch.push_back(DataKey(k));
      return batch.size() > 256 ? flush() : absl::OkStatus();
    });
    if (!s.ok()) return s;
    return flush();
  }

  // The write counter: every put, remove and clear batch through cask
  // moves it, atomically with its write (expiry does not), so a replica that
  // saw counter R and sees R again knows nothing changed without scanning.
  absl::StatusOr<std::uint64_t> DoCurrentRevision() override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Reply> r =
        conn_.Command({"GET", counter_key_}, Access::kRead, "revision");
    if (!r.ok()) return r.status();
    const redisReply* a = r->get();
    if (a->type == REDIS_REPLY_NIL) return 0;
    std::uint64_t v = 0;
    if (!absl::SimpleAtoi(ToAbsl(ReplyText(a)), &v)) return Malformed("GET");
    return v;
  }

 private:
  std::string DataKey(std::string_view key) const {
    return absl::StrCat(data_prefix_, ToAbsl(key));
  }

  static absl::Status NotFound(const std::string& key) {
    return KeyNotFoundError(key);
  }

  // A single-key conflict becomes the plain CAS mismatch of that key.
  static absl::Status SingleKeyError(const absl::Status& s,
                                     const std::string& key) {
    if (!IsCasMismatch(s)) return s;
    std::vector<Conflict> c = Conflicts(s);
    return CasMismatchError(key, c.empty() ? std::nullopt : c[0].actual);
  }

  static absl::Status FillMeta(const redisReply* etag, const redisReply* mtime,
                               const redisReply* expires, std::uint64_t size,
                               Meta& meta) {
    if (!IsString(etag) || !IsString(mtime)) return Malformed("metadata");
    meta.etag.assign(ReplyText(etag));
    absl::StatusOr<std::int64_t> m = ParseInt(mtime, "mtime");
    if (!m.ok()) return m.status();
    meta.mtime = absl::FromUnixMillis(*m);
    meta.size = size;
    if (IsString(expires) && expires->len > 0) {
      absl::StatusOr<std::int64_t> x = ParseInt(expires, "expiry");
      if (!x.ok()) return x.status();
      meta.expires = absl::FromUnixMillis(*x);
    }
    return absl::OkStatus();
  }

  // Runs kWriteScript for `batch` (one round trip).
  absl::StatusOr<CommitResult> Run(const Batch& batch, std::string_view what) {
    std::vector<std::string> keys{counter_key_, id_key_};
    std::vector<std::string> args{absl::StrFormat("%016x", NextRandom()),
                                  absl::StrCat(batch.size())};
    for (const BatchOp& op : batch.ops()) {
      keys.push_back(DataKey(op.key));
      switch (op.kind) {
        case BatchOpKind::kPut:
          args.insert(args.end(),
                      {"p", op.value, absl::StrCat(TtlMillis(op.options.ttl))});
          break;
        case BatchOpKind::kDelete:
          args.insert(args.end(), {"d", "", "0"});
          break;
        case BatchOpKind::kVerify:
          args.insert(args.end(), {"v", "", "0"});
          break;
      }
      EncodeSide(op.options.precondition.if_match, true, args);
      EncodeSide(op.options.precondition.if_none_match, false, args);
    }
    absl::StatusOr<Reply> r;
    {
      absl::MutexLock lock(&mu_);
      r = conn_.Eval(kWrite, keys, args, Access::kWrite, what);
    }
    if (!r.ok()) return r.status();
    const redisReply* a = r->get();
    if (a->type != REDIS_REPLY_ARRAY || a->elements < 1 ||
        a->element[0]->type != REDIS_REPLY_INTEGER) {
      return Malformed(what);
    }
    if (a->element[0]->integer == 0) {
      std::vector<Conflict> conflicts;
      for (std::size_t i = 1; i + 1 < a->elements; i += 2) {
        const redisReply* idx = a->element[i];
        if (idx->type != REDIS_REPLY_INTEGER || idx->integer < 1 ||
            static_cast<std::size_t>(idx->integer) > batch.size()) {
          return Malformed(what);
        }
        const BatchOp& op = batch.ops()[idx->integer - 1];
        std::string_view cur = ReplyText(a->element[i + 1]);
        conflicts.push_back(Conflict{
            op.key, DescribePrecondition(op.options.precondition),
            cur.empty() ? std::nullopt : std::optional<std::string>(cur)});
      }
      return CommitConflictError(conflicts);
    }
    if (a->elements != batch.size() + 1) return Malformed(what);
    CommitResult result;
    for (std::size_t i = 1; i < a->elements; ++i) {
      result.etags.emplace_back(ReplyText(a->element[i]));
    }
    return result;
  }

  // Calls `fn` with every live key under `base`, via SCAN.
  template <typename Fn>
  absl::Status ScanKeys(const std::string& base, Fn fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string pattern =
        GlobEscape(base.empty() ? data_prefix_ : DataKey(base + ":")) + "*";
    std::string cursor = "0";
    do {
      absl::StatusOr<Reply> r =
          conn_.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"},
                        Access::kRead, "keys");
      if (!r.ok()) return r.status();
      const redisReply* a = r->get();
      if (a->type != REDIS_REPLY_ARRAY || a->elements != 2 ||
          !IsString(a->element[0]) ||
          a->element[1]->type != REDIS_REPLY_ARRAY) {
        return Malformed("SCAN");
      }
      cursor.assign(ReplyText(a->element[0]));
      const redisReply* keys = a->element[1];
      for (std::size_t i = 0; i < keys->elements; ++i) {
        std::string_view k = ReplyText(keys->element[i]);
        if (k.size() <= data_prefix_.size()) continue;
        k.remove_prefix(data_prefix_.size());
        if (!IsUnderBase(k, base)) continue;
        if (absl::Status s = fn(k); !s.ok()) return s;
      }
    } while (cursor != "0");
    return absl::OkStatus();
  }

  static std::mt19937_64 Seed() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }

  // A fresh random store id for each write, used only when the id key is
  // missing (a new store, or its bookkeeping was flushed): a flushed store
  // never gets back an id whose etags someone may still hold.
  std::uint64_t NextRandom() {
    absl::MutexLock lock(&random_mu_);
    return random_();
  }

  const std::string data_prefix_;
  const std::string counter_key_;
  const std::string id_key_;
  absl::Mutex random_mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(random_mu_);
  absl::Mutex mu_;
  RedisConnection conn_ ABSL_GUARDED_BY(mu_);
};

absl::Status BadUri(std::string_view uri, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "bad redis URI \"", ToAbsl(uri), "\": ", ToAbsl(why),
      " (expected redis://[user:password@]host[:port][/db][?prefix=P"
      "&timeout_ms=N&connect_timeout_ms=N])"));
}

}  // namespace

absl::StatusOr<RedisOptions> RedisOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "redis") return BadUri(text, "scheme must be redis");
  if (!uri->has_authority || uri->host.empty()) {
    return BadUri(text, "no host");
  }
  RedisOptions o;
  o.host = uri->host;
  if (uri->port) o.port = *uri->port;
  o.user = uri->user;
  o.password = uri->password;
  if (!uri->path.empty() && uri->path != "/") {
    std::uint32_t db = 0;
    if (!absl::SimpleAtoi(ToAbsl(uri->path.substr(1)), &db)) {
      return BadUri(text, "the path must be a database number");
    }
    o.db = db;
  }
  for (const auto& [name, value] : uri->query) {
    if (name == "prefix") {
      o.prefix = value;
    } else if (name == "timeout_ms" || name == "connect_timeout_ms") {
      absl::StatusOr<std::uint64_t> ms = uri->UintParam(name, 0);
      if (!ms.ok()) return ms.status();
      if (*ms == 0) return BadUri(text, absl::StrCat(name, " must be > 0"));
      (name == "timeout_ms" ? o.io_timeout : o.connect_timeout) =
          absl::Milliseconds(*ms);
    } else {
      return BadUri(text, absl::StrCat("unknown parameter \"", name, "\""));
    }
  }
  if (o.prefix.empty()) return BadUri(text, "prefix must not be empty");
  return o;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenRedisStore(RedisOptions options) {
  if (options.prefix.empty()) {
    return absl::InvalidArgumentError("redis: prefix must not be empty");
  }
  if (options.host.empty()) {
    return absl::InvalidArgumentError("redis: host must not be empty");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("redis: timeouts must be > 0");
  }
  auto store = std::make_unique<RedisStore>(std::move(options));
  if (absl::Status s = store->Connect(); !s.ok()) return s;
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenRedisStoreUri(
    std::string_view uri) {
  absl::StatusOr<RedisOptions> options = RedisOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return OpenRedisStore(*std::move(options));
}

}  // namespace cask
