#include "sql_store.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cask/batch.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/scan.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"

namespace cask::sql {
namespace {

std::int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

std::string RandomStoreId() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

// Before running a transaction again that a concurrent one forced back:
// a random pause growing with the attempt (up to 20 ms), so that clients
// deadlocking on the same keys (InnoDB gap locks) stop meeting in step.
void BackOff(int attempt) {
  if (attempt == 0) return;
  thread_local std::minstd_rand rng{std::random_device{}()};
  const std::int64_t cap_us =
      std::min<std::int64_t>(std::int64_t{100} << std::min(attempt, 8), 20000);
  std::uniform_int_distribution<std::int64_t> pause(0, cap_us);
  absl::SleepFor(absl::Microseconds(pause(rng)));
}

bool IsStar(const std::optional<std::vector<std::string>>& tags) {
  return tags && tags->size() == 1 && (*tags)[0] == kAnyEtag;
}

// One strong etag: the only if_match list a single UPDATE can test.
bool IsOneStrongTag(const std::optional<std::vector<std::string>>& tags) {
  return tags && tags->size() == 1 && (*tags)[0] != kAnyEtag &&
         (*tags)[0].rfind("W/", 0) != 0;
}

absl::StatusOr<std::int64_t> ParseInt(const std::optional<std::string>& cell,
                                      std::string_view what) {
  std::int64_t v = 0;
  if (!cell || !absl::SimpleAtoi(*cell, &v)) {
    return absl::DataLossError(
        absl::StrCat("sql store: bad ", ToAbsl(what), " column"));
  }
  return v;
}

// The half-open key range of everything under normalised `base`.
std::pair<std::string, std::string> RangeUnder(const std::string& base) {
  static_assert(kKeySeparator + 1 == ';');
  return {base + kKeySeparator, base + static_cast<char>(kKeySeparator + 1)};
}

// How a write is guarded.
struct Guard {
  enum Kind { kAlways, kIfAbsent, kIfEtag } kind = kAlways;
  std::string etag;  // kIfEtag
};

class SqlStore final : public Driver {
 public:
  SqlStore(std::string name, std::unique_ptr<SqlSession> session,
           SqlDialect dialect, SqlStoreOptions options)
      : name_(std::move(name)),
        session_(std::move(session)),
        dialect_(std::move(dialect)),
        options_(std::move(options)) {
    if (options_.etag_block < 1) options_.etag_block = 1;
    if (options_.max_attempts < 1) options_.max_attempts = 1;
    BuildStatements();
  }

  absl::Status Init() {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    absl::Status created = CreateSchema();
    for (int attempt = 1;
         IsTxnConflict(created) && attempt < options_.max_attempts; ++attempt) {
      BackOff(attempt);
      created = CreateSchema();
    }
    if (!created.ok()) return GaveUp(created);
    absl::StatusOr<SqlResult> r =
        session_->Exec(sql_.select_meta, {}, Effect::kRead);
    if (!r.ok()) return r.status();
    if (r->rows.empty() || r->rows[0].empty() || !r->rows[0][0]) {
      return absl::DataLossError(absl::StrCat(
          name_, " store: table ", options_.table, "_meta has no store id"));
    }
    store_id_ = *r->rows[0][0];
    return absl::OkStatus();
  }

  std::string_view name() const override { return name_; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = caps.atomic_batch = caps.ttl = true;
    caps.snapshot = snapshots_;
    caps.max_value_bytes = options_.max_value_bytes;
    return caps;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    return ReadItem(key, /*with_value=*/true);
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Item> item = ReadItem(key, /*with_value=*/false);
    if (!item.ok()) return item.status();
    return std::move(item->meta);
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    const Precondition& p = options.precondition;
    Guard guard;
    if (p.empty()) {
      guard.kind = Guard::kAlways;
    } else if (!p.if_match && IsStar(p.if_none_match)) {
      guard.kind = Guard::kIfAbsent;
    } else if (!p.if_none_match && IsOneStrongTag(p.if_match)) {
      guard = Guard{Guard::kIfEtag, (*p.if_match)[0]};
    } else {
      BatchOp op{BatchOpKind::kPut, key, std::string(value), options};
      absl::StatusOr<CommitResult> r = RunTransaction({op}, true);
      if (!r.ok()) return r.status();
      return std::move(r->etags[0]);
    }
    if (absl::Status s = ReserveEtags(1); !s.ok()) return s;
    std::string etag = TakeEtag();
    std::int64_t now = NowMicros();
    absl::StatusOr<bool> written;
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      BackOff(attempt);
      written = WriteRow(key, value, etag, now, options.ttl, guard,
                         Effect::kAutocommitWrite);
      if (written.ok() || !IsTxnConflict(written.status())) break;
    }
    if (!written.ok()) return GaveUp(written.status());
    if (!*written) return Mismatch(key);
    return etag;
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& p) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    if (p.empty() || (!p.if_none_match && IsOneStrongTag(p.if_match))) {
      std::optional<std::string> etag;
      if (!p.empty()) etag = (*p.if_match)[0];
      absl::StatusOr<bool> deleted;
      for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
        BackOff(attempt);
        deleted = DeleteRow(key, etag, NowMicros(), Effect::kAutocommitWrite);
        if (deleted.ok() || !IsTxnConflict(deleted.status())) break;
      }
      if (!deleted.ok()) return GaveUp(deleted.status());
      if (etag && !*deleted) return Mismatch(key);
      return absl::OkStatus();
    }
    BatchOp op{BatchOpKind::kDelete, key, "", WriteOptions{p, {}}};
    return RunTransaction({op}, true).status();
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  // One statement per page: `k > after AND k < upper ... ORDER BY k LIMIT
  // n` on the primary key (a bytes column, so the order is bytewise and no
  // LIKE pattern needs escaping); metadata and values come from the same
  // row read, so they always agree.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    return ScanOn(*session_, base, options, NowMicros());
  }

  absl::StatusOr<std::unique_ptr<Snapshot>> DoOpenSnapshot() override;

 private:
  friend class SqlSnapshot;

  // One page of a scan run on `session` (the store's, or a snapshot's),
  // hiding rows expired at `now` (microseconds).
  absl::StatusOr<ScanPage> ScanOn(SqlSession& session, const std::string& base,
                                  const ScanOptions& options,
                                  std::int64_t now) const {
    const std::string lower = ScanLowerBound(base, options.start_after);
    const std::string upper = ScanUpperBound(base);
    const std::string sql =
        absl::StrCat("SELECT k, etag, mtime, expires, length(v)",
                     options.with_values ? ", v" : "", " FROM ", options_.table,
                     " WHERE (expires IS NULL OR expires > $1) AND k > $2",
                     upper.empty() ? "" : " AND k < $3", " ORDER BY k LIMIT ",
                     options.limit);
    std::vector<SqlParam> params = {SqlParam::Int(now), SqlParam::Blob(lower)};
    if (!upper.empty()) params.push_back(SqlParam::Blob(upper));
    absl::StatusOr<SqlResult> r = session.Exec(sql, params, Effect::kRead);
    if (!r.ok()) return r.status();
    ScanPage page;
    page.entries.reserve(r->rows.size());
    for (SqlRow& row : r->rows) {
      if (row.size() < (options.with_values ? 6u : 5u) || !row[0]) {
        return absl::DataLossError(
            absl::StrCat(name_, " store: malformed row in a scan"));
      }
      ScanEntry& entry = page.entries.emplace_back();
      entry.key = std::move(*row[0]);
      absl::StatusOr<Meta> meta = MetaFromRow(row, 1, entry.key);
      if (!meta.ok()) return meta.status();
      entry.meta = *std::move(meta);
      if (options.with_values && row[5]) entry.value = std::move(*row[5]);
    }
    if (page.entries.size() == options.limit) {
      page.next_after = page.entries.back().key;
    }
    return page;
  }

 protected:
  absl::Status DoClear(const std::string& base) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    absl::StatusOr<SqlResult> r;
    if (base.empty()) {
      r = session_->Exec(sql_.clear_all, {}, Effect::kAutocommitWrite);
    } else {
      auto [lo, hi] = RangeUnder(base);
      r = session_->Exec(sql_.clear_range,
                         {SqlParam::Blob(lo), SqlParam::Blob(hi)},
                         Effect::kAutocommitWrite);
      if (r.ok()) PurgeExpired();
    }
    return r.status();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    absl::MutexLock lock(&mu_);
    if (batch.empty()) return CommitResult{};
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    return RunTransaction(batch.ops(), false);
  }

 private:
  struct Statements {
    std::string read_meta, read_item, read_etag, read_etag_locked;
    std::string upsert, insert_if_absent, update_if_etag;
    std::string delete_key, delete_if_etag;
    std::string clear_all, clear_range, purge;
    std::string create_table, create_meta, create_index, insert_meta;
    std::string select_meta, reserve, reserve_result;
  };

  void BuildStatements() {
    const std::string& t = options_.table;
    const std::string live = "(expires IS NULL OR expires > $2)";
    sql_.read_meta =
        absl::StrCat("SELECT etag, mtime, expires, length(v) FROM ", t,
                     " WHERE k = $1 AND ", live);
    sql_.read_item =
        absl::StrCat("SELECT etag, mtime, expires, length(v), v FROM ", t,
                     " WHERE k = $1 AND ", live);
    sql_.read_etag =
        absl::StrCat("SELECT etag FROM ", t, " WHERE k = $1 AND ", live);
    sql_.read_etag_locked = sql_.read_etag + dialect_.for_update;
    const std::string insert = absl::StrCat(
        "INSERT INTO ", t,
        " (k, v, etag, mtime, expires) VALUES ($1, $2, $3, $4, $5)");
    const std::string expired = "expires IS NOT NULL AND expires <= $4";
    if (dialect_.on_duplicate_key) {
      // Assignments run left to right: `expires` goes last so that the
      // others still test the old row.
      sql_.upsert = insert +
                    " ON DUPLICATE KEY UPDATE v = VALUES(v), etag = "
                    "VALUES(etag), mtime = VALUES(mtime), expires = "
                    "VALUES(expires)";
      sql_.insert_if_absent =
          absl::StrCat(insert, " ON DUPLICATE KEY UPDATE v = IF(", expired,
                       ", VALUES(v), v), etag = IF(", expired,
                       ", VALUES(etag), etag), mtime = IF(", expired,
                       ", VALUES(mtime), mtime), expires = IF(", expired,
                       ", VALUES(expires), expires)");
    } else {
      sql_.upsert = insert +
                    " ON CONFLICT (k) DO UPDATE SET v = excluded.v, etag = "
                    "excluded.etag, mtime = excluded.mtime, expires = "
                    "excluded.expires";
      sql_.insert_if_absent =
          absl::StrCat(sql_.upsert, " WHERE ", t, ".",
                       "expires IS NOT NULL AND ", t, ".expires <= $4");
    }
    sql_.update_if_etag = absl::StrCat(
        "UPDATE ", t,
        " SET v = $2, etag = $3, mtime = $4, expires = $5 WHERE k = $1 AND "
        "etag = $6 AND (expires IS NULL OR expires > $4)");
    sql_.delete_key = absl::StrCat("DELETE FROM ", t, " WHERE k = $1");
    sql_.delete_if_etag =
        absl::StrCat("DELETE FROM ", t,
                     " WHERE k = $1 AND etag = $2 AND (expires IS NULL OR "
                     "expires > $3)");
    sql_.clear_all = absl::StrCat("DELETE FROM ", t);
    sql_.clear_range =
        absl::StrCat("DELETE FROM ", t, " WHERE k >= $1 AND k < $2");
    sql_.purge = absl::StrCat("DELETE FROM ", t,
                              " WHERE expires IS NOT NULL AND expires <= $1");
    sql_.create_table = absl::StrCat(
        "CREATE TABLE IF NOT EXISTS ", t, " (k ", dialect_.key_type,
        " NOT NULL PRIMARY KEY, v ", dialect_.value_type, " NOT NULL, etag ",
        dialect_.etag_type, " NOT NULL, mtime ", dialect_.int_type,
        " NOT NULL, expires ", dialect_.int_type, ")", dialect_.table_suffix);
    sql_.create_meta =
        absl::StrCat("CREATE TABLE IF NOT EXISTS ", t, "_meta (id ",
                     dialect_.int_type, " NOT NULL PRIMARY KEY, store_id ",
                     dialect_.etag_type, " NOT NULL, counter ",
                     dialect_.int_type, " NOT NULL)", dialect_.table_suffix);
    sql_.create_index = absl::StrCat("CREATE INDEX IF NOT EXISTS ", t,
                                     "_expires ON ", t, " (expires)");
    sql_.insert_meta =
        dialect_.on_duplicate_key
            ? absl::StrCat("INSERT IGNORE INTO ", t,
                           "_meta (id, store_id, counter) VALUES (1, $1, 0)")
            : absl::StrCat("INSERT INTO ", t,
                           "_meta (id, store_id, counter) VALUES (1, $1, 0) "
                           "ON CONFLICT (id) DO NOTHING");
    sql_.select_meta =
        absl::StrCat("SELECT store_id FROM ", t, "_meta WHERE id = 1");
    if (dialect_.update_returning) {
      sql_.reserve =
          absl::StrCat("UPDATE ", t,
                       "_meta SET counter = counter + $1 WHERE id = 1 "
                       "RETURNING counter");
    } else {
      sql_.reserve = absl::StrCat(
          "UPDATE ", t,
          "_meta SET counter = LAST_INSERT_ID(counter + $1) WHERE id = 1");
      sql_.reserve_result = "SELECT LAST_INSERT_ID()";
    }
  }

  absl::Status CreateSchema() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const bool txn = dialect_.schema_in_transaction;
    const Effect effect = txn ? Effect::kInTransaction : Effect::kRead;
    if (txn) {
      absl::StatusOr<SqlResult> r =
          session_->Exec(dialect_.schema_begin, {}, Effect::kRead);
      if (!r.ok()) return r.status();
    }
    if (!dialect_.schema_lock.empty()) {
      absl::StatusOr<SqlResult> r = session_->Exec(
          dialect_.schema_lock, {SqlParam::Text(options_.table)}, effect);
      if (!r.ok()) return txn ? Rollback(r.status()) : r.status();
    }
    absl::Status status = CreateTables(effect);
    if (txn) {
      if (!status.ok()) return Rollback(status);
      absl::StatusOr<SqlResult> r =
          session_->Exec("COMMIT", {}, Effect::kCommit);
      if (!r.ok()) return Rollback(r.status());
    }
    if (!dialect_.schema_unlock.empty()) {
      (void)session_->Exec(dialect_.schema_unlock,
                           {SqlParam::Text(options_.table)}, Effect::kRead);
    }
    return status;
  }

  absl::Status CreateTables(Effect effect) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string id = RandomStoreId();
    for (const std::string* sql : {&sql_.create_table, &sql_.create_meta,
                                   &sql_.create_index, &sql_.insert_meta}) {
      std::vector<SqlParam> params;
      if (sql == &sql_.insert_meta) params.push_back(SqlParam::Text(id));
      absl::StatusOr<SqlResult> r = session_->Exec(*sql, params, effect);
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

  // Rolls back the open transaction (errors ignored: a dead connection has
  // rolled back already) and returns `status`.
  absl::Status Rollback(absl::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    (void)session_->Exec("ROLLBACK", {}, Effect::kRead);
    return status;
  }

  // Makes sure `n` fresh etag numbers are reserved for this client.
  absl::Status ReserveEtags(std::int64_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (next_etag_ + n - 1 <= last_etag_) return absl::OkStatus();
    const std::int64_t block = std::max(n, options_.etag_block);
    // Reserving is a write, but its outcome does not matter to the caller:
    // a block lost with the connection is simply never used. So it is
    // reported like a read (kUnavailable: the caller's write was not sent).
    absl::StatusOr<SqlResult> r =
        session_->Exec(sql_.reserve, {SqlParam::Int(block)}, Effect::kRead);
    if (r.ok() && !dialect_.update_returning) {
      r = session_->Exec(sql_.reserve_result, {}, Effect::kRead);
    }
    if (!r.ok()) return r.status();
    if (r->rows.empty() || r->rows[0].empty()) {
      return absl::DataLossError(absl::StrCat(
          name_, " store: table ", options_.table, "_meta lost its counter"));
    }
    absl::StatusOr<std::int64_t> last = ParseInt(r->rows[0][0], "counter");
    if (!last.ok()) return last.status();
    next_etag_ = *last - block + 1;
    last_etag_ = *last;
    PurgeExpired();
    return absl::OkStatus();
  }

  std::string TakeEtag() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::StrFormat("%x.%s", next_etag_++, store_id_);
  }

  // Best effort: a failure leaves expired rows for the next purge.
  void PurgeExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    (void)session_->Exec(sql_.purge, {SqlParam::Int(NowMicros())},
                         Effect::kAutocommitWrite);
  }

  // The metadata in row[first..first+3]: etag, mtime, expires, size.
  absl::StatusOr<Meta> MetaFromRow(SqlRow& row, std::size_t first,
                                   const std::string& key) const {
    if (!row[first]) {
      return absl::DataLossError(absl::StrCat(
          name_, " store: malformed row for key ", QuoteForMessage(key)));
    }
    Meta meta;
    meta.etag = std::move(*row[first]);
    absl::StatusOr<std::int64_t> mtime = ParseInt(row[first + 1], "mtime");
    absl::StatusOr<std::int64_t> size = ParseInt(row[first + 3], "size");
    if (!mtime.ok()) return mtime.status();
    if (!size.ok()) return size.status();
    meta.mtime = absl::FromUnixMicros(*mtime);
    meta.size = static_cast<std::uint64_t>(*size);
    if (row[first + 2]) {
      absl::StatusOr<std::int64_t> expires =
          ParseInt(row[first + 2], "expires");
      if (!expires.ok()) return expires.status();
      meta.expires = absl::FromUnixMicros(*expires);
    }
    return meta;
  }

  absl::StatusOr<Item> ReadItem(const std::string& key, bool with_value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (absl::Status s = session_->EnsureConnected(); !s.ok()) return s;
    return ReadItemOn(*session_, key, with_value, NowMicros());
  }

  // `key` read on `session`, absent when expired at `now`.
  absl::StatusOr<Item> ReadItemOn(SqlSession& session, const std::string& key,
                                  bool with_value, std::int64_t now) const {
    absl::StatusOr<SqlResult> r =
        session.Exec(with_value ? sql_.read_item : sql_.read_meta,
                     {SqlParam::Blob(key), SqlParam::Int(now)}, Effect::kRead);
    if (!r.ok()) return r.status();
    if (r->rows.empty()) {
      return KeyNotFoundError(key);
    }
    SqlRow& row = r->rows[0];
    if (row.size() < (with_value ? 5u : 4u)) {
      return absl::DataLossError(absl::StrCat(
          name_, " store: malformed row for key ", QuoteForMessage(key)));
    }
    Item item;
    absl::StatusOr<Meta> meta = MetaFromRow(row, 0, key);
    if (!meta.ok()) return meta.status();
    item.meta = *std::move(meta);
    if (with_value && row[4]) item.value = std::move(*row[4]);
    return item;
  }

  // The key's current etag (nullopt: absent or expired).
  absl::StatusOr<std::optional<std::string>> ReadEtag(const std::string& key,
                                                      bool locked,
                                                      Effect effect)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<SqlResult> r = session_->Exec(
        locked ? sql_.read_etag_locked : sql_.read_etag,
        {SqlParam::Blob(key), SqlParam::Int(NowMicros())}, effect);
    if (!r.ok()) return r.status();
    if (r->rows.empty() || r->rows[0].empty()) return std::nullopt;
    return r->rows[0][0];
  }

  // A failed single-statement CAS: nothing was written. Reads the current
  // etag for the error's payload.
  absl::Status Mismatch(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<std::optional<std::string>> current =
        ReadEtag(key, false, Effect::kRead);
    if (!current.ok()) {
      return absl::AbortedError(
          absl::StrCat("precondition failed for key ", QuoteForMessage(key),
                       " (nothing written); reading its current etag failed: ",
                       current.status().ToString()));
    }
    return CasMismatchError(key, *current);
  }

  // Runs the write; false when its guard did not hold (nothing written).
  absl::StatusOr<bool> WriteRow(const std::string& key, std::string_view value,
                                const std::string& etag, std::int64_t now,
                                absl::Duration ttl, const Guard& guard,
                                Effect effect)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    SqlParam expires = ttl > absl::ZeroDuration()
                           ? SqlParam::Int(now + absl::ToInt64Microseconds(ttl))
                           : SqlParam::Null();
    std::vector<SqlParam> params = {SqlParam::Blob(key), SqlParam::Blob(value),
                                    SqlParam::Text(etag), SqlParam::Int(now),
                                    expires};
    const std::string* sql = &sql_.upsert;
    if (guard.kind == Guard::kIfAbsent) sql = &sql_.insert_if_absent;
    if (guard.kind == Guard::kIfEtag) {
      sql = &sql_.update_if_etag;
      params.push_back(SqlParam::Text(guard.etag));
    }
    absl::StatusOr<SqlResult> r = session_->Exec(*sql, params, effect);
    if (!r.ok()) return r.status();
    return r->affected > 0;
  }

  // Deletes the key, or only while its etag is `etag`; true when a row
  // went.
  absl::StatusOr<bool> DeleteRow(const std::string& key,
                                 const std::optional<std::string>& etag,
                                 std::int64_t now, Effect effect)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<SqlResult> r =
        etag ? session_->Exec(sql_.delete_if_etag,
                              {SqlParam::Blob(key), SqlParam::Text(*etag),
                               SqlParam::Int(now)},
                              effect)
             : session_->Exec(sql_.delete_key, {SqlParam::Blob(key)}, effect);
    if (!r.ok()) return r.status();
    return r->affected > 0;
  }

  // Applies `ops` in one transaction, running it again while a concurrent
  // transaction forces a rollback. `single`: report a mismatch as a
  // single-key CAS mismatch rather than a commit conflict.
  absl::StatusOr<CommitResult> RunTransaction(const std::vector<BatchOp>& ops,
                                              bool single)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Rows are locked in key order, so two commits never deadlock.
    std::vector<std::size_t> order(ops.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return ops[a].key < ops[b].key;
    });
    if (!dialect_.txn_lock.empty()) {
      absl::StatusOr<SqlResult> locked = session_->Exec(
          dialect_.txn_lock, {SqlParam::Text(options_.table)}, Effect::kRead);
      if (!locked.ok()) return locked.status();
      if (locked->rows.empty() || locked->rows[0].empty() ||
          locked->rows[0][0] != "1") {
        return absl::UnavailableError(absl::StrCat(
            name_,
            " store: timed out waiting for the table's transaction "
            "lock; nothing was written"));
      }
    }
    absl::StatusOr<CommitResult> r = RunTransactionLocked(ops, order, single);
    if (!dialect_.txn_unlock.empty()) {
      // Best effort: a lost connection released it already.
      (void)session_->Exec(dialect_.txn_unlock,
                           {SqlParam::Text(options_.table)}, Effect::kRead);
    }
    return r;
  }

  absl::StatusOr<CommitResult> RunTransactionLocked(
      const std::vector<BatchOp>& ops, const std::vector<std::size_t>& order,
      bool single) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::int64_t puts = 0;
    for (const BatchOp& op : ops) puts += op.kind == BatchOpKind::kPut;
    absl::Status last;
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      BackOff(attempt);
      if (absl::Status s = ReserveEtags(puts); !s.ok()) return s;
      absl::StatusOr<CommitResult> r = TryTransaction(ops, order, single);
      if (r.ok() || !IsTxnConflict(r.status())) return r;
      last = r.status();
    }
    return GaveUp(last);
  }

  // A statement or transaction the server kept rolling back because of
  // concurrent ones is kUnavailable (nothing was written), never a CAS
  // mismatch. Other statuses pass through.
  absl::Status GaveUp(absl::Status status) const {
    if (!IsTxnConflict(status)) return status;
    return absl::UnavailableError(absl::StrCat(
        name_, " store: gave up after ", options_.max_attempts,
        " attempts rolled back by concurrent writers; nothing was written. "
        "Last: ",
        status.message()));
  }

  absl::StatusOr<CommitResult> TryTransaction(
      const std::vector<BatchOp>& ops, const std::vector<std::size_t>& order,
      bool single) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<SqlResult> begun =
        session_->Exec(dialect_.begin, {}, Effect::kRead);
    if (!begun.ok()) return Rollback(begun.status());
    std::vector<std::optional<std::string>> current(ops.size());
    for (std::size_t i : order) {
      absl::StatusOr<std::optional<std::string>> etag =
          ReadEtag(ops[i].key, true, Effect::kInTransaction);
      if (!etag.ok()) return Rollback(etag.status());
      current[i] = *std::move(etag);
    }
    std::vector<Conflict> conflicts;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Precondition& p = ops[i].options.precondition;
      if (!PreconditionHolds(p, current[i])) {
        conflicts.push_back(
            Conflict{ops[i].key, DescribePrecondition(p), current[i]});
      }
    }
    if (!conflicts.empty()) {
      if (single) return Rollback(CasMismatchError(ops[0].key, current[0]));
      return Rollback(CommitConflictError(conflicts));
    }
    CommitResult result;
    result.etags.resize(ops.size());
    const std::int64_t now = NowMicros();
    for (std::size_t i : order) {
      const BatchOp& op = ops[i];
      const bool conditional = !op.options.precondition.empty();
      absl::StatusOr<bool> done = true;
      if (op.kind == BatchOpKind::kPut) {
        Guard guard;
        if (conditional) {
          guard = current[i] ? Guard{Guard::kIfEtag, *current[i]}
                             : Guard{Guard::kIfAbsent, ""};
        }
        result.etags[i] = TakeEtag();
        done = WriteRow(op.key, op.value, result.etags[i], now, op.options.ttl,
                        guard, Effect::kInTransaction);
      } else if (op.kind == BatchOpKind::kDelete) {
        if (!conditional) {
          absl::StatusOr<bool> d =
              DeleteRow(op.key, std::nullopt, now, Effect::kInTransaction);
          done = d.ok() ? absl::StatusOr<bool>(true) : d;
        } else if (current[i]) {
          done = DeleteRow(op.key, current[i], now, Effect::kInTransaction);
        }
      }
      if (!done.ok()) return Rollback(done.status());
      if (!*done) {
        // The row changed after it was read (an insert into a gap the read
        // could not lock): start again.
        return Rollback(TxnConflictError(
            session_->backend(), absl::StrCat("key ", QuoteForMessage(op.key),
                                              " changed during the commit")));
      }
    }
    absl::StatusOr<SqlResult> committed =
        session_->Exec("COMMIT", {}, Effect::kCommit);
    if (!committed.ok()) return Rollback(committed.status());
    return result;
  }

  const std::string name_;
  const std::unique_ptr<SqlSession> session_;
  const SqlDialect dialect_;
  // The dialect can hold a snapshot and the session can open another
  // connection for it.
  const bool snapshots_ =
      !dialect_.snapshot_begin.empty() && session_->NewSession() != nullptr;
  SqlStoreOptions options_;
  Statements sql_;
  absl::Mutex mu_;
  std::string store_id_ ABSL_GUARDED_BY(mu_);
  std::int64_t next_etag_ ABSL_GUARDED_BY(mu_) = 1;
  std::int64_t last_etag_ ABSL_GUARDED_BY(mu_) = 0;
};

// A read-only transaction held on a connection of its own.
class SqlSnapshot final : public Snapshot {
 public:
  SqlSnapshot(const SqlStore* store, std::unique_ptr<SqlSession> session,
              std::int64_t taken)
      : store_(store), session_(std::move(session)), taken_(taken) {}
  ~SqlSnapshot() override {
    absl::MutexLock lock(&mu_);
    if (!lost_) (void)session_->Exec("ROLLBACK", {}, Effect::kRead);
  }

  std::uint64_t revision() const override { return 0; }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    if (lost_) return Lost(absl::OkStatus());
    absl::StatusOr<Item> item =
        store_->ReadItemOn(*session_, key, true, taken_);
    if (!item.ok() && !absl::IsNotFound(item.status()) &&
        !absl::IsDataLoss(item.status())) {
      return Lost(item.status());
    }
    return item;
  }
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    absl::MutexLock lock(&mu_);
    if (lost_) return Lost(absl::OkStatus());
    absl::StatusOr<ScanPage> page =
        store_->ScanOn(*session_, base, options, taken_);
    if (!page.ok() && !absl::IsDataLoss(page.status())) {
      return Lost(page.status());
    }
    return page;
  }

 private:
  // The server ended the transaction (any error aborts it): the state it
  // showed cannot be read again.
  absl::Status Lost(const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    lost_ = true;
    return absl::OutOfRangeError(absl::StrCat(
        ToAbsl(session_->backend()),
        ": the snapshot's transaction has ended; open a new snapshot",
        cause.ok() ? "" : absl::StrCat(" (", cause.message(), ")")));
  }

  const SqlStore* const store_;
  absl::Mutex mu_;
  const std::unique_ptr<SqlSession> session_ ABSL_PT_GUARDED_BY(mu_);
  const std::int64_t taken_;
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<Snapshot>> SqlStore::DoOpenSnapshot() {
  std::unique_ptr<SqlSession> session = session_->NewSession();
  if (session == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(name_, " store cannot take a snapshot"));
  }
  if (absl::Status s = session->EnsureConnected(); !s.ok()) return s;
  absl::StatusOr<SqlResult> begun =
      session->Exec(dialect_.snapshot_begin, {}, Effect::kRead);
  if (!begun.ok()) return begun.status();
  // The transaction's snapshot is taken by its first statement, not by
  // BEGIN: take it now, so the view is of this moment.
  const std::int64_t taken = NowMicros();
  absl::StatusOr<SqlResult> fixed =
      session->Exec("SELECT 1", {}, Effect::kRead);
  if (!fixed.ok()) return fixed.status();
  return std::unique_ptr<Snapshot>(
      std::make_unique<SqlSnapshot>(this, std::move(session), taken));
}

}  // namespace

absl::Status ValidateTableName(std::string_view table) {
  bool ok = !table.empty() && table.size() <= 48 &&
            !(table[0] >= '0' && table[0] <= '9');
  for (char c : table) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  // The store's own tables and index are <table>_meta and <table>_expires:
  // a store named like one of them would collide with another store.
  for (std::string_view suffix : {"_meta", "_expires"}) {
    if (table.size() >= suffix.size() &&
        table.substr(table.size() - suffix.size()) == suffix) {
      ok = false;
    }
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "bad table name \"", ToAbsl(table),
      "\": use 1-48 lower-case letters, digits or '_', not starting with a "
      "digit and not ending in _meta or _expires"));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenSqlStore(
    std::string name, std::unique_ptr<SqlSession> session, SqlDialect dialect,
    SqlStoreOptions options) {
  if (absl::Status s = ValidateTableName(options.table); !s.ok()) return s;
  auto store =
      std::make_unique<SqlStore>(std::move(name), std::move(session),
                                 std::move(dialect), std::move(options));
  if (absl::Status s = store->Init(); !s.ok()) return s;
  return std::unique_ptr<Driver>(std::move(store));
}

}  // namespace cask::sql
