#include "azure_table_store.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "azure_shared_key.h"
#include "azure_table_errors.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "conditional_write.h"
#include "error_status.h"
#include "nlohmann/json.hpp"
#include "object_http.h"
#include "object_names.h"
#include "percent_encoding.h"
#include "scan_page.h"
#include "table_keys.h"
#include "uri.h"
#include "uri_params.h"

namespace cask {
namespace {

using aztable::WriteVerdict;
using objstore::AzureService;
using objstore::ConditionalHeaders;
using objstore::WriteAttempt;
using transport::HttpRequest;
using transport::HttpResponse;

constexpr std::size_t kChunk = 64 * 1024;  // Azure's binary property limit
constexpr std::uint64_t kDefaultMaxValue =
    720 * 1024;  // see the header comment
constexpr std::uint64_t kMaxMaxValue = 2 * 1024 * 1024;

// Update Entity honours If-Match "E" and *; Insert Entity is create-only.
constexpr objstore::NativeShapes kTableShapes{
    .if_match_any = true, .if_none_match_tag = false, .both_headers = false};

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s)).dump();
}

class AzureTableStore final : public Driver {
 public:
  AzureTableStore(AzureTableOptions options, objstore::AzureCredentials creds)
      : options_(std::move(options)),
        creds_(std::move(creds)),
        http_(objstore::TransportFor(options_.connect_timeout)) {
    endpoint_ = objstore::TrimTrailingSlashes(
        options_.endpoint.empty() ? absl::StrCat("https://", options_.account,
                                                 ".table.core.windows.net")
                                  : options_.endpoint);
    table_url_ = absl::StrCat(endpoint_, "/", options_.table);
  }

  std::string_view name() const override { return "azure_table"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = true;
    caps.max_value_bytes = options_.max_value_bytes == 0
                               ? kDefaultMaxValue
                               : options_.max_value_bytes;
    return caps;
  }

  absl::Status CreateTable() {
    std::string body =
        absl::StrCat("{\"TableName\":", JsonString(options_.table), "}");
    absl::StatusOr<HttpResponse> r = Send(
        "POST", absl::StrCat(endpoint_, "/Tables"), "", &body, "create table");
    if (!r.ok()) return r.status();
    if (r->status / 100 == 2 ||
        aztable::ErrorCode(*r) == "TableAlreadyExists") {
      return absl::OkStatus();
    }
    return aztable::AzureTableError("create table", options_.table, *r, true);
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::StatusOr<HttpResponse> r =
        Send("GET", EntityUrl(key), "", nullptr, "get");
    if (!r.ok()) return r.status();
    if (r->status == 404 && aztable::ErrorCode(*r) != "TableNotFound")
      return NotFound(key);
    if (r->status != 200)
      return aztable::AzureTableError("get", key, *r, false);
    nlohmann::json entity = nlohmann::json::parse(r->body, nullptr, false);
    if (!entity.is_object())
      return Corrupt(key, "the entity is not a JSON object");
    Item item;
    for (int i = 0;; ++i) {
      std::string name = absl::StrCat("V", i);
      if (!entity.contains(name)) break;
      if (!entity[name].is_string() ||
          !AppendBase64(entity[name].get_ref<const std::string&>(),
                        &item.value)) {
        return Corrupt(key, absl::StrCat("property ", name, " is not base64"));
      }
    }
    absl::StatusOr<Meta> meta = MetaFrom(key, r->Header("etag"), entity);
    if (!meta.ok()) return meta.status();
    if (meta->size != item.value.size()) {
      return Corrupt(
          key, absl::StrCat("Size says ", meta->size, " bytes, the value has ",
                            item.value.size()));
    }
    item.meta = *std::move(meta);
    return item;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::StatusOr<HttpResponse> r =
        Send("GET", absl::StrCat(EntityUrl(key), "?$select=Size,Timestamp"), "",
             nullptr, "head");
    if (!r.ok()) return r.status();
    if (r->status == 404 && aztable::ErrorCode(*r) != "TableNotFound")
      return NotFound(key);
    if (r->status != 200)
      return aztable::AzureTableError("head", key, *r, false);
    nlohmann::json entity = nlohmann::json::parse(r->body, nullptr, false);
    if (!entity.is_object())
      return Corrupt(key, "the entity is not a JSON object");
    return MetaFrom(key, r->Header("etag"), entity);
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    std::string body = EntityJson(key, value);
    return objstore::WriteConditionally(
        "azure table put", key, options.precondition, kTableShapes,
        /*remove=*/false, options_.conflict_retries + 1,
        [&] { return CurrentEtag(key); },
        [&](const ConditionalHeaders& h) { return Write(key, body, h); });
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& p) override {
    // Delete Entity honours If-Match only.
    return objstore::WriteConditionally(
               "azure table delete", key, p, kTableShapes, /*remove=*/true,
               options_.conflict_retries + 1, [&] { return CurrentEtag(key); },
               [&](const ConditionalHeaders& h) {
                 return Delete(key, RowKey(key), h);
               })
        .status();
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  // RowKeys escape bytes as "%XX", so RowKey order is not key order ("~"
  // is "%7E" and sorts before "a") and no RowKey range holds exactly the
  // keys past start_after. A page is one query of the base's RowKey range,
  // keeping the `limit` smallest keys past start_after: O(keys under the
  // base) per page, O(limit) memory.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    std::map<std::string, Meta> smallest;
    absl::Status failed;
    absl::Status s =
        Query(base, "RowKey,Key,Size,Timestamp", /*with_etags=*/true,
              [&](std::string key, std::string, const nlohmann::json& entity) {
                if (!failed.ok() || key <= options.start_after) return;
                if (smallest.size() == options.limit &&
                    key >= smallest.rbegin()->first) {
                  return;
                }
                absl::StatusOr<Meta> meta = ListedMeta(key, entity);
                if (!meta.ok()) {
                  failed = meta.status();
                  return;
                }
                smallest.emplace(std::move(key), *std::move(meta));
                if (smallest.size() > options.limit) {
                  smallest.erase(std::prev(smallest.end()));
                }
              });
    if (!s.ok()) return s;
    if (!failed.ok()) return failed;
    std::vector<ScanEntry> listed;
    listed.reserve(smallest.size());
    for (auto& [key, meta] : smallest) {
      ScanEntry entry;
      entry.key = key;
      entry.meta = std::move(meta);
      listed.push_back(std::move(entry));
    }
    // The value and its metadata come from one read of the entity.
    return objstore::PageOfListed(
        std::move(listed), options.limit, options.with_values,
        [&](const std::string& key) { return DoGet(key); });
  }

  absl::Status DoClear(const std::string& base) override {
    std::vector<std::pair<std::string, std::string>> entities;
    absl::Status s = List(base, [&](std::string key, std::string row_key) {
      entities.emplace_back(std::move(key), std::move(row_key));
    });
    if (!s.ok()) return s;
    for (const auto& [key, row_key] : entities) {
      absl::StatusOr<WriteAttempt> r = Delete(key, row_key, {});
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<HttpResponse> Send(std::string method, std::string url,
                                    const std::string& if_match,
                                    const std::string* body,
                                    std::string_view op,
                                    bool prefer_no_content = false,
                                    bool with_etags = false) {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.kind = (req.method != "GET") ? transport::RequestKind::kWrite
                                     : transport::RequestKind::kRead;
    // Minimal metadata puts each listed entity's etag in "odata.etag".
    req.headers.emplace_back(
        "Accept", with_etags ? "application/json;odata=minimalmetadata"
                             : "application/json;odata=nometadata");
    req.headers.emplace_back("DataServiceVersion", "3.0");
    req.headers.emplace_back("MaxDataServiceVersion", "3.0;NetFx");
    if (!if_match.empty()) req.headers.emplace_back("If-Match", if_match);
    if (prefer_no_content)
      req.headers.emplace_back("Prefer", "return-no-content");
    if (body != nullptr) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = *body;
      req.has_body = true;
    }
    if (absl::Status s = objstore::Authorize(AzureService::kTable, creds_,
                                             absl::Now(), &req);
        !s.ok()) {
      return s;
    }
    return http_.Send(req, absl::StrCat("azure table ", ToAbsl(op)));
  }

  static std::string RowKey(const std::string& key) {
    return aztable::RowKeyFor(key);
  }

  std::string EntityUrlFor(const std::string& row_key) const {
    // Neither the partition (validated) nor a RowKey contains a quote.
    return absl::StrCat(
        table_url_, "(PartitionKey='",
        PercentEncode(options_.partition, KeptBytes::Unreserved()),
        "',RowKey='", PercentEncode(row_key, KeptBytes::Unreserved()), "')");
  }

  std::string EntityUrl(const std::string& key) const {
    return EntityUrlFor(RowKey(key));
  }

  std::string EntityJson(const std::string& key, std::string_view value) const {
    std::string json;
    json.reserve(value.size() / 3 * 4 + 1024 + key.size() * 2);
    absl::StrAppend(&json, "{\"PartitionKey\":", JsonString(options_.partition),
                    ",\"RowKey\":", JsonString(RowKey(key)), ",\"Key\":\"",
                    objstore::Base64Encode(key),
                    "\",\"Key@odata.type\":\"Edm.Binary\"",
                    ",\"Size\":", value.size());
    for (std::size_t i = 0, off = 0; off < value.size(); ++i, off += kChunk) {
      absl::StrAppend(&json, ",\"V", i, "\":\"",
                      objstore::Base64Encode(value.substr(off, kChunk)),
                      "\",\"V", i, "@odata.type\":\"Edm.Binary\"");
    }
    json.push_back('}');
    return json;
  }

  static bool AppendBase64(const std::string& text, std::string* out) {
    std::string decoded;
    if (!objstore::Base64Decode(text, &decoded)) return false;
    out->append(decoded);
    return true;
  }

  static absl::Status NotFound(const std::string& key) {
    return objstore::KeyNotFound("azure table", key);
  }

  static absl::Status Corrupt(const std::string& key, std::string_view why) {
    return absl::DataLossError(absl::StrCat("azure table: entity of key ",
                                            QuoteForMessage(key), ": ",
                                            ToAbsl(why)));
  }

  // `etag`: the entity's etag as the service sends it (a header of a
  // read, or a listed entity's "odata.etag").
  static absl::StatusOr<Meta> MetaFrom(const std::string& key,
                                       std::string_view etag,
                                       const nlohmann::json& entity) {
    Meta meta;
    meta.etag = objstore::UnquoteEtag(etag);
    if (meta.etag.empty()) return Corrupt(key, "the answer carried no ETag");
    if (!entity.contains("Size") || !entity["Size"].is_number_unsigned()) {
      if (!entity.contains("Size") || !entity["Size"].is_number_integer() ||
          entity["Size"].get<std::int64_t>() < 0) {
        return Corrupt(key, "no Size property");
      }
    }
    meta.size = entity["Size"].get<std::uint64_t>();
    if (entity.contains("Timestamp") && entity["Timestamp"].is_string()) {
      meta.mtime =
          objstore::ParseHttpOrIsoTime(entity["Timestamp"].get<std::string>());
    }
    return meta;
  }

  // The metadata of an entity listed with minimal metadata: the etag is
  // its "odata.etag" instead of a header.
  static absl::StatusOr<Meta> ListedMeta(const std::string& key,
                                         const nlohmann::json& entity) {
    if (!entity.contains("odata.etag") || !entity["odata.etag"].is_string()) {
      return Corrupt(key, "the listed entity carries no odata.etag");
    }
    return MetaFrom(key, entity["odata.etag"].get_ref<const std::string&>(),
                    entity);
  }

  absl::StatusOr<std::optional<std::string>> CurrentEtag(
      const std::string& key) {
    absl::StatusOr<Meta> meta = DoGetMeta(key);
    if (meta.ok()) return std::optional<std::string>(meta->etag);
    if (absl::IsNotFound(meta.status())) return std::optional<std::string>();
    return meta.status();
  }

  // If-Match as the Table service wants it: * or W/"<etag>".
  static std::string TableIfMatch(const std::string& header) {
    if (header.empty() || header == "*") return header;
    return absl::StrCat("W/", header);
  }

  absl::StatusOr<WriteAttempt> Verdict(std::string_view op,
                                       const std::string& key,
                                       const HttpResponse& r,
                                       bool sent_if_match) {
    switch (aztable::ClassifyWrite(r, sent_if_match)) {
      case WriteVerdict::kOk:
      case WriteVerdict::kAbsent:
        return WriteAttempt{false, objstore::UnquoteEtag(r.Header("etag"))};
      case WriteVerdict::kConditionFailed:
        return WriteAttempt{true, ""};
      case WriteVerdict::kError:
        break;
    }
    return aztable::AzureTableError(op, key, r, true);
  }

  // Insert (create-only), Update with If-Match, or Insert Or Replace.
  absl::StatusOr<WriteAttempt> Write(const std::string& key,
                                     const std::string& body,
                                     const ConditionalHeaders& h) {
    absl::StatusOr<HttpResponse> r;
    if (h.if_none_match == "*") {
      r = Send("POST", table_url_, "", &body, "insert",
               /*prefer_no_content=*/true);
    } else {
      r = Send("PUT", EntityUrl(key), TableIfMatch(h.if_match), &body, "put");
    }
    if (!r.ok()) return r.status();
    absl::StatusOr<WriteAttempt> v =
        Verdict("put", key, *r, !h.if_match.empty());
    if (v.ok() && !v->condition_failed && v->etag.empty()) {
      return absl::InternalError(absl::StrCat("azure table put ",
                                              QuoteForMessage(key),
                                              ": the answer carried no ETag"));
    }
    return v;
  }

  absl::StatusOr<WriteAttempt> Delete(const std::string& key,
                                      const std::string& row_key,
                                      const ConditionalHeaders& h) {
    std::string if_match = h.if_match.empty() ? "*" : TableIfMatch(h.if_match);
    absl::StatusOr<HttpResponse> r =
        Send("DELETE", EntityUrlFor(row_key), if_match, nullptr, "delete");
    if (!r.ok()) return r.status();
    absl::StatusOr<WriteAttempt> v =
        Verdict("delete", key, *r, !h.if_match.empty());
    if (v.ok()) v->etag.clear();
    return v;
  }

  // Calls `each(key, row_key)` for every entity under `base`.
  template <typename Fn>
  absl::Status List(const std::string& base, Fn each) {
    return Query(
        base, "RowKey,Key", false,
        [&](std::string key, std::string row_key, const nlohmann::json&) {
          each(std::move(key), std::move(row_key));
        });
  }

  // Calls `each(key, row_key, entity)` with every cask entity under
  // `base` (its properties as `select` names them, and "odata.etag" when
  // `with_etags`), page by page, in RowKey order.
  template <typename Fn>
  absl::Status Query(const std::string& base, std::string_view select,
                     bool with_etags, Fn each) {
    std::string filter = absl::StrCat("PartitionKey eq ",
                                      aztable::ODataString(options_.partition));
    if (!base.empty()) {
      std::string lower, upper;
      aztable::RowKeyRange(base, &lower, &upper);
      absl::StrAppend(&filter, " and RowKey ge ", aztable::ODataString(lower),
                      " and RowKey lt ", aztable::ODataString(upper));
    }
    std::string next_pk, next_rk;
    while (true) {
      std::string url = absl::StrCat(
          table_url_,
          "()?$filter=", PercentEncode(filter, KeptBytes::Unreserved()),
          "&$select=", ToAbsl(select));
      if (!next_pk.empty()) {
        absl::StrAppend(
            &url, "&NextPartitionKey=",
            PercentEncode(next_pk, KeptBytes::Unreserved()),
            "&NextRowKey=", PercentEncode(next_rk, KeptBytes::Unreserved()));
      }
      absl::StatusOr<HttpResponse> r =
          Send("GET", url, "", nullptr, "list", false, with_etags);
      if (!r.ok()) return r.status();
      if (r->status != 200)
        return aztable::AzureTableError("list", base, *r, false);
      nlohmann::json page = nlohmann::json::parse(r->body, nullptr, false);
      if (!page.is_object() || !page.contains("value") ||
          !page["value"].is_array()) {
        return Corrupt(base, "the query answer has no value array");
      }
      for (const nlohmann::json& e : page["value"]) {
        std::string key;
        if (!e.contains("Key") || !e["Key"].is_string() ||
            !e.contains("RowKey") || !e["RowKey"].is_string() ||
            !objstore::Base64Decode(e["Key"].get<std::string>(), &key)) {
          continue;  // not an entity of cask's
        }
        if (!base.empty() && !IsUnderBase(key, base)) continue;
        each(std::move(key), e["RowKey"].get<std::string>(), e);
      }
      next_pk = r->Header("x-ms-continuation-nextpartitionkey");
      next_rk = r->Header("x-ms-continuation-nextrowkey");
      if (next_pk.empty()) return absl::OkStatus();
    }
  }

  const AzureTableOptions options_;
  const objstore::AzureCredentials creds_;
  transport::HttpTransport http_;
  std::string endpoint_;
  std::string table_url_;
};

bool ValidTableName(const std::string& t) {
  if (t.size() < 3 || t.size() > 63 ||
      !std::isalpha(static_cast<unsigned char>(t[0]))) {
    return false;
  }
  return std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
}

bool ValidPartition(const std::string& p) {
  if (p.size() > 256) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return c >= 0x20 && c < 0x7F && c != '/' && c != '\\' && c != '#' &&
           c != '?' && c != '\'';
  });
}

}  // namespace

absl::StatusOr<AzureTableOptions> AzureTableOptions::FromUri(
    std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("aztable URI ", QuoteForMessage(text), ": ", ToAbsl(why)));
  };
  if (uri->scheme != "aztable") return bad("scheme must be aztable");
  for (const auto& [name, value] : uri->query) {
    static const auto* known = new std::set<std::string>{
        "endpoint",         "partition",      "key", "sas", "create_table",
        "conflict_retries", "max_value_bytes"};
    if (known->count(name) == 0 && !objstore::IsSasParameter(name)) {
      return bad(absl::StrCat("unknown parameter ", name));
    }
  }
  AzureTableOptions o;
  absl::StatusOr<objstore::AzureCredentials> creds =
      objstore::AzureCredentialsFromUri(*uri);
  if (!creds.ok()) return creds.status();
  o.account = creds->account;
  o.key = creds->key;
  o.sas = creds->sas;
  o.table =
      std::string(absl::StripSuffix(absl::StripPrefix(uri->path, "/"), "/"));
  if (o.table.empty()) return bad("no table (aztable://account/table)");
  o.partition = uri->Param("partition", o.partition);
  o.endpoint = uri->Param("endpoint");
  absl::StatusOr<bool> create =
      objstore::BoolParam(*uri, "create_table", false);
  if (!create.ok()) return create.status();
  o.create_table = *create;
  if (absl::Status s = objstore::ParseWriteParams(
          *uri, bad, &o.conflict_retries, &o.max_value_bytes);
      !s.ok()) {
    return s;
  }
  return o;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateAzureTableStore(
    AzureTableOptions options) {
  if (options.account.empty())
    return absl::InvalidArgumentError("azure table: no account");
  if (!ValidTableName(options.table)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "azure table: bad table name ", QuoteForMessage(options.table),
        " (3-63 letters and digits, starting with a letter)"));
  }
  if (!ValidPartition(options.partition)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "azure table: bad partition ", QuoteForMessage(options.partition),
        " (printable ASCII without / \\ # ? or ', at most 256)"));
  }
  if (options.max_value_bytes > kMaxMaxValue) {
    return absl::InvalidArgumentError(
        "azure table: max_value_bytes over 2 MiB");
  }
  objstore::AzureCredentials creds{options.account, options.key, options.sas};
  if (absl::Status s = objstore::CheckAzureCredentials("azure table", &creds);
      !s.ok()) {
    return s;
  }
  bool create = options.create_table;
  auto store =
      std::make_unique<AzureTableStore>(std::move(options), std::move(creds));
  if (create) {
    if (absl::Status s = store->CreateTable(); !s.ok()) return s;
  }
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenAzureTableStoreUri(
    std::string_view uri) {
  absl::StatusOr<AzureTableOptions> options = AzureTableOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateAzureTableStore(*std::move(options));
}

}  // namespace cask
