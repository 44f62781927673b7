#include "postgres_store.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libpq-fe.h>

#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"
#include "postgres_errors.h"
#include "sql_store.h"
#include "uri.h"

namespace cask {
namespace {

// Type OIDs of the integer columns, which arrive in binary.
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

class PostgresSession final : public sql::SqlSession {
 public:
  explicit PostgresSession(PostgresOptions options)
      : options_(std::move(options)) {}

  ~PostgresSession() override { Disconnect(); }

  std::string_view backend() const override { return "postgres"; }

  std::unique_ptr<sql::SqlSession> NewSession() const override {
    return std::make_unique<PostgresSession>(options_);
  }

  absl::Status EnsureConnected() override {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
      return absl::OkStatus();
    }
    Disconnect();
    std::vector<std::pair<std::string, std::string>> params;
    if (!options_.host.empty()) params.emplace_back("host", options_.host);
    if (options_.port != 0) {
      params.emplace_back("port", absl::StrCat(options_.port));
    }
    if (!options_.user.empty()) params.emplace_back("user", options_.user);
    if (!options_.password.empty()) {
      params.emplace_back("password", options_.password);
    }
    if (!options_.database.empty()) {
      params.emplace_back("dbname", options_.database);
    }
    params.emplace_back("connect_timeout",
                        absl::StrCat(options_.connect_timeout_s));
    for (const auto& [k, v] : options_.extra) params.emplace_back(k, v);
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : params) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      absl::Status s = PostgresConnectError(conn);
      if (conn != nullptr) PQfinish(conn);
      return s;
    }
    // "relation already exists, skipping" and the like are not errors.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    conn_ = conn;
    return absl::OkStatus();
  }

  absl::StatusOr<sql::SqlResult> Exec(std::string_view sql,
                                      const std::vector<sql::SqlParam>& params,
                                      sql::Effect effect) override {
    // Never reconnect here: a statement must not silently leave the
    // transaction its predecessors ran in. EnsureConnected starts each call.
    if (conn_ == nullptr) {
      return absl::UnavailableError("postgres: not connected");
    }
    absl::StatusOr<const std::string*> name = Prepare(sql, params.size());
    if (!name.ok()) return name.status();
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const sql::SqlParam& p = params[i];
      switch (p.kind) {
        case sql::SqlParam::Kind::kNull:
          values[i] = nullptr;
          break;
        case sql::SqlParam::Kind::kInt:
          text[i] = absl::StrCat(p.i);
          values[i] = text[i].c_str();
          break;
        case sql::SqlParam::Kind::kText:
          text[i] = std::string(p.s);  // libpq wants it NUL-terminated
          values[i] = text[i].c_str();
          break;
        case sql::SqlParam::Kind::kBlob:
          values[i] = p.s.empty() ? "" : p.s.data();
          lengths[i] = static_cast<int>(p.s.size());
          formats[i] = 1;
          break;
      }
    }
    PGresult* res = PQexecPrepared(
        conn_, (*name)->c_str(), static_cast<int>(params.size()), values.data(),
        lengths.data(), formats.data(), /*resultFormat=*/1);
    absl::StatusOr<sql::SqlResult> out = Collect(res, effect);
    PQclear(res);
    return out;
  }

 private:
  void Disconnect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();
  }

  // After an error: a broken connection is dropped (the next call
  // reconnects).
  absl::Status Failed(const PGresult* res, sql::Effect effect,
                      std::string_view what) {
    absl::Status s = PostgresError(res, conn_, effect, what);
    if (PQstatus(conn_) == CONNECTION_BAD) Disconnect();
    return s;
  }

  absl::StatusOr<const std::string*> Prepare(std::string_view sql,
                                             std::size_t nparams) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return &it->second;
    std::string name = absl::StrCat("cask_", prepared_.size());
    PGresult* res = PQprepare(conn_, name.c_str(), std::string(sql).c_str(),
                              static_cast<int>(nparams), nullptr);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      // Nothing was executed: at worst the statement was never sent.
      absl::Status s = Failed(res, sql::Effect::kRead, "prepare");
      PQclear(res);
      return s;
    }
    PQclear(res);
    return &prepared_.emplace(std::string(sql), std::move(name)).first->second;
  }

  absl::StatusOr<sql::SqlResult> Collect(const PGresult* res,
                                         sql::Effect effect) {
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Failed(res, effect, "statement");
    }
    sql::SqlResult out;
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(res));
    out.affected = tuples != nullptr && *tuples ? std::atoll(tuples) : 0;
    const int rows = PQntuples(res), cols = PQnfields(res);
    out.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      sql::SqlRow row(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c)) continue;
        const char* v = PQgetvalue(res, r, c);
        const int len = PQgetlength(res, r, c);
        switch (PQftype(res, c)) {
          case kInt8Oid: {
            std::uint64_t be;
            std::memcpy(&be, v, sizeof be);
            row[c] = absl::StrCat(static_cast<std::int64_t>(be64toh(be)));
            break;
          }
          case kInt4Oid: {
            std::uint32_t be;
            std::memcpy(&be, v, sizeof be);
            row[c] = absl::StrCat(static_cast<std::int32_t>(ntohl(be)));
            break;
          }
          case kInt2Oid: {
            std::uint16_t be;
            std::memcpy(&be, v, sizeof be);
            row[c] = absl::StrCat(static_cast<std::int16_t>(ntohs(be)));
            break;
          }
          default:
            row[c] = std::string(v, len);
        }
      }
      out.rows.push_back(std::move(row));
    }
    return out;
  }

  const PostgresOptions options_;
  PGconn* conn_ = nullptr;
  std::map<std::string, std::string, std::less<>> prepared_;  // sql → name
};

sql::SqlDialect PostgresDialect() {
  sql::SqlDialect d;
  d.key_type = "bytea";
  d.value_type = "bytea";
  d.etag_type = "text";
  d.int_type = "bigint";
  d.for_update = " FOR UPDATE";
  // Serialisable, so that commits which read a key as absent cannot both
  // commit (write skew); conflicts roll back and the store runs them again.
  d.begin = "BEGIN ISOLATION LEVEL SERIALIZABLE";
  d.snapshot_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  // Concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique
  // index: creators queue on an advisory lock named after the table.
  d.schema_lock = "SELECT pg_advisory_xact_lock(hashtext($1))";
  d.schema_in_transaction = true;
  d.on_duplicate_key = false;
  d.update_returning = true;
  return d;
}

absl::Status BadUri(std::string_view uri, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad postgres URI \"", ToAbsl(uri), "\": ", ToAbsl(why),
                   " (expected postgres://user:pass@host:port/db?table=name)"));
}

}  // namespace

absl::StatusOr<PostgresOptions> PostgresOptions::FromUri(
    std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "postgres" && uri->scheme != "postgresql") {
    return BadUri(text, "scheme is not postgres");
  }
  if (!uri->has_authority) return BadUri(text, "missing //host");
  PostgresOptions options;
  if (!uri->host.empty()) options.host = uri->host;
  options.port = uri->port.value_or(0);
  options.user = uri->user;
  options.password = uri->password;
  std::string_view db = uri->path;
  if (!db.empty() && db[0] == '/') db.remove_prefix(1);
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
    } else if (name == "host" || name == "port" || name == "user" ||
               name == "password" || name == "dbname") {
      return BadUri(text, absl::StrCat("put ", name, " in the URI itself"));
    } else {
      options.extra[name] = value;
    }
  }
  if (absl::Status s = sql::ValidateTableName(options.table); !s.ok()) {
    return BadUri(text, ToStd(s.message()));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresStore(
    PostgresOptions options) {
  sql::SqlStoreOptions store;
  store.table = options.table;
  store.max_value_bytes = std::uint64_t{512} << 20;
  return sql::OpenSqlStore(
      "postgres", std::make_unique<PostgresSession>(std::move(options)),
      PostgresDialect(), std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresStoreUri(
    std::string_view uri) {
  absl::StatusOr<PostgresOptions> options = PostgresOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return OpenPostgresStore(*std::move(options));
}

}  // namespace cask
