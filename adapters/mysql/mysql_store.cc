#include "mysql_store.h"

#include <mysql.h>

#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "mysql_errors.h"
#include "sql_store.h"
#include "uri.h"

namespace cask {
namespace {

// mysql_library_init is not thread-safe; mysql_init calls it lazily.
void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

class MysqlSession final : public sql::SqlSession {
 public:
  explicit MysqlSession(MysqlOptions options) : options_(std::move(options)) {}

  ~MysqlSession() override { Disconnect(); }

  std::string_view backend() const override { return "mysql"; }

  absl::Status EnsureConnected() override {
    if (conn_ != nullptr) return absl::OkStatus();
    InitLibraryOnce();
    MYSQL* m = mysql_init(nullptr);
    if (m == nullptr)
      return absl::ResourceExhaustedError("mysql: out of memory");
    unsigned timeout = options_.connect_timeout_s;
    if (timeout != 0) mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    // Never reconnect behind the store's back: a write's outcome would be
    // lost, and a transaction would silently end.
    my_bool reconnect = 0;
    mysql_optionsv(m, MYSQL_OPT_RECONNECT, &reconnect);
    if (mysql_real_connect(m, options_.host.c_str(), options_.user.c_str(),
                           options_.password.c_str(), options_.database.c_str(),
                           options_.port != 0 ? options_.port : 3306, nullptr,
                           0) == nullptr) {
      absl::Status s = MysqlConnectError(mysql_errno(m), mysql_error(m));
      mysql_close(m);
      return s;
    }
    conn_ = m;
    return absl::OkStatus();
  }

  absl::StatusOr<sql::SqlResult> Exec(std::string_view sql,
                                      const std::vector<sql::SqlParam>& params,
                                      sql::Effect effect) override {
    if (conn_ == nullptr) return absl::UnavailableError("mysql: not connected");
    if (params.empty()) return ExecText(sql, effect);
    absl::StatusOr<Prepared*> prepared = Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    return ExecPrepared(**prepared, params, effect);
  }

 private:
  // A server-side prepared statement; `order[i]` is the parameter bound to
  // its i-th `?` (a `$n` may appear more than once).
  struct Prepared {
    MYSQL_STMT* stmt = nullptr;
    std::vector<std::size_t> order;
  };

  void Disconnect() {
    for (auto& [sql, p] : prepared_) mysql_stmt_close(p.stmt);
    prepared_.clear();
    if (conn_ != nullptr) mysql_close(conn_);
    conn_ = nullptr;
  }

  // After an error: a lost connection is dropped (the next call
  // reconnects).
  absl::Status Failed(unsigned err, const char* text, sql::Effect effect,
                      std::string_view what) {
    absl::Status s = MysqlError(err, text, effect, what);
    if (MysqlConnectionLost(err)) Disconnect();
    return s;
  }

  // Statements without parameters (transaction control, DDL) as text.
  absl::StatusOr<sql::SqlResult> ExecText(std::string_view sql,
                                          sql::Effect effect) {
    if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) {
      return Failed(mysql_errno(conn_), mysql_error(conn_), effect,
                    "statement");
    }
    sql::SqlResult out;
    MYSQL_RES* res = mysql_store_result(conn_);
    if (res == nullptr) {
      if (mysql_field_count(conn_) != 0) {
        return Failed(mysql_errno(conn_), mysql_error(conn_), effect,
                      "read result");
      }
      out.affected = static_cast<std::int64_t>(mysql_affected_rows(conn_));
      return out;
    }
    const unsigned cols = mysql_num_fields(res);
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      unsigned long* lengths = mysql_fetch_lengths(res);
      sql::SqlRow r(cols);
      for (unsigned c = 0; c < cols; ++c) {
        if (row[c] != nullptr) r[c] = std::string(row[c], lengths[c]);
      }
      out.rows.push_back(std::move(r));
    }
    mysql_free_result(res);
    out.affected = static_cast<std::int64_t>(out.rows.size());
    return out;
  }

  absl::StatusOr<Prepared*> Prepare(std::string_view sql) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return &it->second;
    Prepared p;
    std::string text;
    text.reserve(sql.size());
    for (std::size_t i = 0; i < sql.size(); ++i) {
      if (sql[i] != '$' || i + 1 >= sql.size() || sql[i + 1] < '0' ||
          sql[i + 1] > '9') {
        text.push_back(sql[i]);
        continue;
      }
      std::size_t n = 0;
      while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
        n = n * 10 + (sql[++i] - '0');
      }
      text.push_back('?');
      p.order.push_back(n - 1);
    }
    p.stmt = mysql_stmt_init(conn_);
    if (p.stmt == nullptr) {
      return absl::ResourceExhaustedError("mysql: out of memory");
    }
    if (mysql_stmt_prepare(p.stmt, text.data(), text.size()) != 0) {
      // Nothing was executed: at worst the statement was never sent.
      absl::Status s =
          Failed(mysql_stmt_errno(p.stmt), mysql_stmt_error(p.stmt),
                 sql::Effect::kRead, "prepare");
      mysql_stmt_close(p.stmt);
      return s;
    }
    return &prepared_.emplace(std::string(sql), std::move(p)).first->second;
  }

  absl::StatusOr<sql::SqlResult> ExecPrepared(
      Prepared& p, const std::vector<sql::SqlParam>& params,
      sql::Effect effect) {
    MYSQL_STMT* st = p.stmt;
    const std::size_t n = p.order.size();
    std::vector<MYSQL_BIND> binds(n);
    std::vector<unsigned long> lengths(n);
    std::vector<long long> ints(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (p.order[i] >= params.size()) {
        return absl::InternalError("mysql: statement parameter missing");
      }
      const sql::SqlParam& prm = params[p.order[i]];
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof b);
      switch (prm.kind) {
        case sql::SqlParam::Kind::kNull:
          b.buffer_type = MYSQL_TYPE_NULL;
          break;
        case sql::SqlParam::Kind::kInt:
          ints[i] = prm.i;
          b.buffer_type = MYSQL_TYPE_LONGLONG;
          b.buffer = &ints[i];
          break;
        case sql::SqlParam::Kind::kText:
        case sql::SqlParam::Kind::kBlob:
          b.buffer_type = prm.kind == sql::SqlParam::Kind::kText
                              ? MYSQL_TYPE_STRING
                              : MYSQL_TYPE_BLOB;
          b.buffer = const_cast<char*>(prm.s.empty() ? "" : prm.s.data());
          lengths[i] = prm.s.size();
          b.buffer_length = lengths[i];
          b.length = &lengths[i];
          break;
      }
    }
    if (mysql_stmt_bind_param(st, binds.data()) != 0 ||
        mysql_stmt_execute(st) != 0) {
      return Failed(mysql_stmt_errno(st), mysql_stmt_error(st), effect,
                    "statement");
    }
    sql::SqlResult out;
    MYSQL_RES* meta = mysql_stmt_result_metadata(st);
    if (meta == nullptr) {
      out.affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(st));
      return out;
    }
    const unsigned cols = mysql_num_fields(meta);
    mysql_free_result(meta);
    // Every column as bytes (integers as decimal text), sized per row.
    std::vector<MYSQL_BIND> rb(cols);
    std::vector<unsigned long> rlen(cols);
    std::vector<my_bool> rnull(cols);
    for (unsigned c = 0; c < cols; ++c) {
      std::memset(&rb[c], 0, sizeof rb[c]);
      rb[c].buffer_type = MYSQL_TYPE_STRING;
      rb[c].length = &rlen[c];
      rb[c].is_null = &rnull[c];
    }
    if (mysql_stmt_store_result(st) != 0 ||
        mysql_stmt_bind_result(st, rb.data()) != 0) {
      absl::Status s = Failed(mysql_stmt_errno(st), mysql_stmt_error(st),
                              effect, "read result");
      if (conn_ != nullptr) mysql_stmt_free_result(st);
      return s;
    }
    int rc;
    while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
      sql::SqlRow row(cols);
      for (unsigned c = 0; c < cols; ++c) {
        if (rnull[c]) continue;
        std::string v(rlen[c], '\0');
        if (!v.empty()) {
          MYSQL_BIND b;
          std::memset(&b, 0, sizeof b);
          unsigned long got = 0;
          b.buffer_type = MYSQL_TYPE_STRING;
          b.buffer = v.data();
          b.buffer_length = v.size();
          b.length = &got;
          if (mysql_stmt_fetch_column(st, &b, c, 0) != 0) {
            absl::Status s = Failed(mysql_stmt_errno(st), mysql_stmt_error(st),
                                    effect, "read column");
            if (conn_ != nullptr) mysql_stmt_free_result(st);
            return s;
          }
        }
        row[c] = std::move(v);
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != MYSQL_NO_DATA) {
      absl::Status s =
          Failed(mysql_stmt_errno(st), mysql_stmt_error(st), effect, "fetch");
      if (conn_ != nullptr) mysql_stmt_free_result(st);
      return s;
    }
    mysql_stmt_free_result(st);
    out.affected = static_cast<std::int64_t>(out.rows.size());
    return out;
  }

  const MysqlOptions options_;
  MYSQL* conn_ = nullptr;
  std::map<std::string, Prepared, std::less<>> prepared_;  // by $n text
};

sql::SqlDialect MysqlDialect() {
  sql::SqlDialect d;
  d.key_type = "VARBINARY(1024)";
  d.value_type = "LONGBLOB";
  d.etag_type = "VARCHAR(80)";
  d.int_type = "BIGINT";
  d.table_suffix = " ENGINE=InnoDB";
  d.for_update = " FOR UPDATE";
  d.begin = "START TRANSACTION";
  // DDL commits implicitly; concurrent creators queue on a named lock.
  d.schema_in_transaction = false;
  d.schema_lock = "SELECT GET_LOCK(CONCAT('cask:', $1), 60)";
  d.schema_unlock = "SELECT RELEASE_LOCK(CONCAT('cask:', $1))";
  // SELECT ... FOR UPDATE of an absent key takes a gap lock; eight clients
  // creating one key in commits then deadlock over and over. Transaction-
  // path operations on one table take turns instead (single statements do
  // not wait for them).
  d.txn_lock = "SELECT GET_LOCK(CONCAT('cask:', $1, ':txn'), 60)";
  d.txn_unlock = "SELECT RELEASE_LOCK(CONCAT('cask:', $1, ':txn'))";
  d.on_duplicate_key = true;
  d.update_returning = false;
  return d;
}

absl::Status BadUri(std::string_view uri, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad mysql URI \"", ToAbsl(uri), "\": ", ToAbsl(why),
                   " (expected mysql://user:pass@host:port/db?table=name)"));
}

}  // namespace

absl::StatusOr<MysqlOptions> MysqlOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "mysql" && uri->scheme != "mariadb") {
    return BadUri(text, "scheme is not mysql");
  }
  if (!uri->has_authority) return BadUri(text, "missing //host");
  MysqlOptions options;
  if (!uri->host.empty()) options.host = uri->host;
  options.port = uri->port.value_or(0);
  if (!uri->user.empty()) options.user = uri->user;
  options.password = uri->password;
  std::string_view db = uri->path;
  if (!db.empty() && db[0] == '/') db.remove_prefix(1);
  if (db.empty()) return BadUri(text, "missing database name");
  if (db.find('/') != std::string_view::npos) {
    return BadUri(text, "the path is one database name");
  }
  options.database = std::string(db);
  for (const auto& [name, value] : uri->query) {
    if (name == "table") {
      options.table = value;
    } else if (name == "connect_timeout") {
      absl::StatusOr<std::uint64_t> t = uri->UintParam(name, 0);
      if (!t.ok() || *t > 3600) {
        return BadUri(text, "connect_timeout must be 0-3600 seconds");
      }
      options.connect_timeout_s = static_cast<std::uint32_t>(*t);
    } else {
      return BadUri(text, absl::StrCat("unknown parameter \"", name, "\""));
    }
  }
  if (absl::Status s = sql::ValidateTableName(options.table); !s.ok()) {
    return BadUri(text, ToStd(s.message()));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenMysqlStore(MysqlOptions options) {
  if (options.database.empty()) {
    return absl::InvalidArgumentError("mysql store needs a database name");
  }
  sql::SqlStoreOptions store;
  store.table = options.table;
  auto session = std::make_unique<MysqlSession>(std::move(options));
  if (absl::Status s = session->EnsureConnected(); !s.ok()) return s;
  // A statement with its values must fit in one packet.
  absl::StatusOr<sql::SqlResult> packet =
      session->Exec("SELECT @@max_allowed_packet", {}, sql::Effect::kRead);
  if (!packet.ok()) return packet.status();
  std::uint64_t max_packet = 0;
  if (packet->rows.empty() || !packet->rows[0][0] ||
      !absl::SimpleAtoi(*packet->rows[0][0], &max_packet) ||
      max_packet < 16384) {
    return absl::InternalError("mysql: cannot read max_allowed_packet");
  }
  store.max_value_bytes = max_packet - 4096;
  return sql::OpenSqlStore("mysql", std::move(session), MysqlDialect(),
                           std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenMysqlStoreUri(
    std::string_view uri) {
  absl::StatusOr<MysqlOptions> options = MysqlOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return OpenMysqlStore(*std::move(options));
}

}  // namespace cask
