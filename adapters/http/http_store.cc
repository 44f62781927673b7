#include "http_store.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "capabilities_header.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "error_body.h"
#include "etag_header.h"
#include "feed_json.h"
#include "http_transport.h"
#include "listing_json.h"
#include "meta_headers.h"
#include "nlohmann/json.hpp"
#include "percent_encoding.h"
#include "protocol_names.h"
#include "revalidation_cache.h"
#include "uri.h"

namespace cask {
namespace {

using Json = nlohmann::json;
using transport::HttpRequest;
using transport::RequestKind;
using Response = transport::HttpResponse;

// Put events of the feed carry values up to this size (a server caps it).
constexpr std::uint64_t kFeedValueBytes = 64 << 10;

// Unreserved bytes and a few sub-delims stay as they are in a path
// segment; everything else is %XX, so the server's one percent-decoding
// gives the key back.
const KeptBytes kSegmentBytes = KeptBytes::Unreserved().With("$!*'()@");

// Entries asked for per request of a scan (a page may be asked for with
// any limit): one answer is held at once, and a value may be large.
constexpr std::size_t kScanEntriesPerRequest = 1000;
constexpr std::size_t kScanEntriesWithValuesPerRequest = 100;

// "/a/b" for key "a:b"; "/a/b/" for base "a:b"; "/" for base "".
std::string KeyPath(std::string_view key, bool base) {
  std::string out;
  std::size_t start = 0;
  while (start < key.size()) {
    std::size_t end = key.find(kKeySeparator, start);
    if (end == std::string_view::npos) end = key.size();
    out.push_back('/');
    out.append(PercentEncode(key.substr(start, end - start), kSegmentBytes));
    start = end + 1;
  }
  if (base) out.push_back('/');
  return out;
}

class HttpStore;

class HttpSubscription final : public Subscription {
 public:
  ~HttpSubscription() override {
    stop_->store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::shared_ptr<std::atomic<bool>> stop_ =
      std::make_shared<std::atomic<bool>>(false);
  std::thread thread_;
};

class HttpStore final : public Driver {
 public:
  explicit HttpStore(HttpOptions options)
      : options_(std::move(options)),
        transport_(TransportOptionsOf(options_)),
        cache_(options_.revalidation_cache_bytes) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
      options_.base_url.pop_back();
    }
  }

  std::string_view name() const override { return "http"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    absl::StatusOr<http_protocol::Advertised> a = Probe();
    if (!a.ok()) {
      // Unknown yet (server unreachable): claim the features so the call
      // reaches Do*, which probes again and reports the real error. Nothing
      // conditional is ever sent without a successful probe.
      caps.cas = caps.atomic_batch = caps.ttl = caps.watch = true;
      return caps;
    }
    caps.cas = a->cas;
    caps.atomic_batch = a->commit;
    caps.ttl = a->ttl;
    caps.watch = a->changes;
    caps.max_value_bytes = a->max_value;
    return caps;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    // Conditional GET: a value read before is revalidated by its etag, and
    // a 304 answer returns it without the value crossing the network.
    std::shared_ptr<const Item> cached = cache_.Find(key);
    std::vector<std::string> headers = {"Accept: application/octet-stream"};
    if (cached) {
      headers.push_back(absl::StrCat(
          "If-None-Match: ", http_protocol::QuoteEtag(cached->meta.etag)));
    }
    absl::StatusOr<Response> r =
        Perform("GET", KeyPath(key, false), headers, std::nullopt,
                Describe("GET", key), false);
    if (!r.ok()) return r.status();
    if (r->status == 304 && cached) return *cached;
    if (r->status != 200) {
      cache_.Erase(key);
      return Failed(*r, "GET", key, false);
    }
    Item item;
    item.meta = MetaFrom(*r, r->body.size());
    item.value = std::move(r->body);
    cache_.Put(key, item);
    return item;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::StatusOr<Response> r =
        Perform("HEAD", KeyPath(key, false), {}, std::nullopt,
                Describe("HEAD", key), false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "HEAD", key, false);
    return MetaFrom(*r, 0);
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    std::vector<std::string> headers = {
        "Content-Type: application/octet-stream"};
    if (absl::Status s = Conditions(options.precondition, key, headers);
        !s.ok()) {
      return s;
    }
    if (options.ttl > absl::ZeroDuration()) {
      absl::StatusOr<http_protocol::Advertised> a = Probe();
      if (!a.ok()) return a.status();
      if (!a->ttl) {
        return absl::UnimplementedError(
            absl::StrCat("http: the server at ", options_.base_url,
                         " does not advertise ttl support (key ",
                         QuoteForMessage(key), ")"));
      }
      headers.push_back(absl::StrFormat("%s: %.3f",
                                        ToAbsl(http_protocol::kTtlHeader),
                                        absl::ToDoubleSeconds(options.ttl)));
    }
    cache_.Erase(key);
    absl::StatusOr<Response> r = Perform("PUT", KeyPath(key, false), headers,
                                         value, Describe("PUT", key), true);
    if (!r.ok()) return r.status();
    if (r->status != 200 && r->status != 201 && r->status != 204) {
      return Failed(*r, "PUT", key, true);
    }
    if (absl::Status s = CheckStillCas(*r, options.precondition, key);
        !s.ok()) {
      return s;
    }
    return http_protocol::UnquoteEtag(r->Header("ETag"));
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    std::vector<std::string> headers;
    if (absl::Status s = Conditions(precondition, key, headers); !s.ok()) {
      return s;
    }
    cache_.Erase(key);
    absl::StatusOr<Response> r =
        Perform("DELETE", KeyPath(key, false), headers, std::nullopt,
                Describe("DELETE", key), true);
    if (!r.ok()) return r.status();
    if (r->status / 100 != 2) return Failed(*r, "DELETE", key, true);
    return CheckStillCas(*r, precondition, key);
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    absl::StatusOr<Response> r =
        Perform("GET", KeyPath(base, true), {}, std::nullopt,
                Describe("GET", base), false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "GET", base, false);
    Json doc = Json::parse(r->body, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) {
      return absl::DataLossError(absl::StrCat("http: key listing of ",
                                              QuoteForMessage(base),
                                              " is not a JSON array"));
    }
    std::vector<std::string> keys;
    for (const Json& k : doc) {
      if (!k.is_string()) continue;
      absl::StatusOr<std::string> key = NormalizeKey(k.get<std::string>());
      if (key.ok()) keys.push_back(*std::move(key));
    }
    return keys;
  }

  // One page of the server's paged listing with metadata (`GET /base/?
  // limit=N&after=K&meta=1[&values=1]`, one JSON object per line): a page
  // of exactly N entries may continue after its last key, a shorter one is
  // the end.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    absl::StatusOr<http_protocol::Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->scan) {
      return absl::UnimplementedError(absl::StrCat(
          "http: the server at ", options_.base_url,
          " does not advertise the paged listing (\"scan\"), so it cannot "
          "scan"));
    }
    // The client holds one answer: bound it whatever the caller asked.
    const std::size_t limit = std::min(
        options.limit, options.with_values ? kScanEntriesWithValuesPerRequest
                                           : kScanEntriesPerRequest);
    std::string path = absl::StrCat(
        KeyPath(base, true), "?", ToAbsl(http_protocol::kListLimitParam), "=",
        limit, "&", ToAbsl(http_protocol::kListMetaParam), "=1");
    if (options.with_values) {
      absl::StrAppend(&path, "&", ToAbsl(http_protocol::kListValuesParam),
                      "=1");
    }
    if (!options.start_after.empty()) {
      absl::StrAppend(
          &path, "&", ToAbsl(http_protocol::kListAfterParam), "=",
          PercentEncode(options.start_after, KeptBytes::Unreserved()));
    }
    absl::StatusOr<Response> r =
        Perform("GET", path, {}, std::nullopt, Describe("GET", base), false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "GET", base, false);
    ScanPage page;
    for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
      if (line.empty()) continue;
      absl::StatusOr<ScanEntry> entry = http_protocol::ParseListingEntry(
          std::string_view(line.data(), line.size()));
      if (!entry.ok()) return entry.status();
      page.entries.push_back(*std::move(entry));
    }
    if (page.entries.size() > limit) {
      return absl::DataLossError(
          absl::StrCat("http: the server listed ", page.entries.size(),
                       " entries where at most ", limit, " were asked for"));
    }
    if (page.entries.size() == limit) page.next_after = page.entries.back().key;
    return page;
  }

  absl::Status DoClear(const std::string& base) override {
    cache_.Clear();
    absl::StatusOr<Response> r =
        Perform("DELETE", KeyPath(base, true), {}, std::nullopt,
                Describe("DELETE", base), true);
    if (!r.ok()) return r.status();
    if (r->status / 100 != 2) return Failed(*r, "DELETE", base, true);
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    absl::StatusOr<http_protocol::Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->commit) {
      return CasUnsupportedError(
          absl::StrCat("http: the server at ", options_.base_url,
                       " does not advertise atomic commit"));
    }
    Json ops = Json::array();
    for (const BatchOp& op : batch.ops()) {
      Json j = {{"key", op.key}};
      switch (op.kind) {
        case BatchOpKind::kPut:
          j["op"] = "put";
          j["value_base64"] = absl::Base64Escape(op.value);
          if (op.options.ttl > absl::ZeroDuration()) {
            j["ttl"] = absl::ToDoubleSeconds(op.options.ttl);
          }
          break;
        case BatchOpKind::kDelete:
          j["op"] = "delete";
          break;
        case BatchOpKind::kVerify:
          j["op"] = "verify";
          break;
      }
      const Precondition& p = op.options.precondition;
      if (p.if_match) j["if_match"] = *p.if_match;
      if (p.if_none_match) j["if_none_match"] = *p.if_none_match;
      ops.push_back(std::move(j));
    }
    std::string body = Json{{"ops", std::move(ops)}}.dump(
        -1, ' ', false, Json::error_handler_t::replace);
    absl::StatusOr<Response> r =
        Perform("POST", std::string(http_protocol::kCommitPath),
                {"Content-Type: application/json"}, body, "commit", true);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "POST", "", true);
    Json doc = Json::parse(r->body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("etags") ||
        !doc["etags"].is_array()) {
      return absl::UnknownError(
          "http commit: the server's answer is not understood; the outcome "
          "is unknown");
    }
    CommitResult result;
    for (const Json& e : doc["etags"]) {
      result.etags.push_back(e.is_string() ? e.get<std::string>() : "");
    }
    if (doc.contains("revision") && doc["revision"].is_number_unsigned()) {
      result.revision = doc["revision"].get<std::uint64_t>();
    }
    return result;
  }

  // Asks for the values of put events up to kFeedValueBytes (a server
  // that predates them ignores the request), so a replica reading the
  // feed need not GET each key.
  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override {
    return FetchChanges(after_revision, limit, 0, kFeedValueBytes);
  }

  absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback) override {
    // Fails fast (kOutOfRange, unreachable) before the thread starts.
    absl::StatusOr<std::vector<ChangeEvent>> first =
        FetchChanges(after_revision, 1, 0, 0);
    if (!first.ok()) return first.status();
    auto sub = std::make_unique<HttpSubscription>();
    std::shared_ptr<std::atomic<bool>> stop = sub->stop_;
    sub->thread_ = std::thread(
        [this, base, after_revision, stop, cb = std::move(callback)] {
          std::uint64_t after = after_revision;
          while (!stop->load()) {
            absl::StatusOr<std::vector<ChangeEvent>> events =
                FetchChanges(after, 1000, 1000, 0);
            if (!events.ok()) {
              // Transient: wait and poll again; compaction ends the watch.
              if (events.status().code() == absl::StatusCode::kOutOfRange)
                return;
              absl::SleepFor(absl::Milliseconds(200));
              continue;
            }
            for (const ChangeEvent& e : *events) {
              after = std::max(after, e.revision);
              bool match = e.kind == ChangeKind::kClear
                               ? (IsUnderBase(e.key, base) || e.key == base ||
                                  IsUnderBase(base, e.key) || e.key.empty())
                               : IsUnderBase(e.key, base);
              if (match && !stop->load()) cb(e);
            }
          }
        });
    return std::unique_ptr<Subscription>(std::move(sub));
  }

 private:
  static std::string Describe(std::string_view method, std::string_view key) {
    return absl::StrCat(ToAbsl(method), " ", QuoteForMessage(key));
  }

  absl::Status Failed(const Response& r, std::string_view method,
                      std::string_view key, bool write) {
    if (r.status == 404 && method != "DELETE") {
      return KeyNotFoundError(key);
    }
    return http_protocol::StatusFromErrorBody(
        r.status, r.body, Describe(method, key), key, write);
  }

  // Adds If-Match / If-None-Match, but only for a server that advertised
  // CAS (else kUnimplemented, before anything is sent).
  absl::Status Conditions(const Precondition& p, const std::string& key,
                          std::vector<std::string>& headers) {
    if (p.empty()) return absl::OkStatus();
    absl::StatusOr<http_protocol::Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->cas) {
      return CasUnsupportedError(absl::StrCat(
          "http: the server at ", options_.base_url,
          " does not advertise CAS (no \"X-Cask-CAS: 1\"); refusing to send ",
          DescribePrecondition(p), " for key ", QuoteForMessage(key)));
    }
    if (p.if_match) {
      headers.push_back(absl::StrCat(
          "If-Match: ", http_protocol::EtagListHeaderValue(*p.if_match)));
    }
    if (p.if_none_match) {
      headers.push_back(
          absl::StrCat("If-None-Match: ",
                       http_protocol::EtagListHeaderValue(*p.if_none_match)));
    }
    return absl::OkStatus();
  }

  void ForgetProbe() {
    std::lock_guard<std::mutex> lock(probe_mu_);
    probe_.reset();
  }

  // A conditional write answered 2xx by a server that no longer says
  // `X-Cask-CAS: 1` (replaced since the probe) may have ignored the
  // precondition: report it instead of claiming success.
  absl::Status CheckStillCas(const Response& r, const Precondition& p,
                             const std::string& key) {
    if (p.empty() || r.Header(http_protocol::kCasHeader) == "1") {
      return absl::OkStatus();
    }
    ForgetProbe();
    return absl::UnknownError(absl::StrCat(
        "http: the server at ", options_.base_url,
        " answered a conditional write of key ", QuoteForMessage(key),
        " without advertising CAS; it may have applied the write without "
        "its precondition, so the outcome is unknown"));
  }

  absl::StatusOr<http_protocol::Advertised> Probe() const {
    {
      std::lock_guard<std::mutex> lock(probe_mu_);
      if (probe_) return *probe_;
    }
    absl::StatusOr<Response> r = const_cast<HttpStore*>(this)->Perform(
        "HEAD", "/", {}, std::nullopt, "probe", false);
    if (!r.ok()) return r.status();
    if (r->status == 401 || r->status == 403) {
      return http_protocol::StatusFromErrorBody(r->status, r->body, "probe", "",
                                                false);
    }
    http_protocol::Advertised a = http_protocol::ParseAdvertised(
        OptionalHeader(*r, http_protocol::kCasHeader),
        OptionalHeader(*r, http_protocol::kFeaturesHeader),
        OptionalHeader(*r, http_protocol::kMaxValueHeader));
    std::lock_guard<std::mutex> lock(probe_mu_);
    probe_ = a;
    return a;
  }

  absl::StatusOr<std::vector<ChangeEvent>> FetchChanges(std::uint64_t after,
                                                        std::size_t limit,
                                                        int wait_ms,
                                                        std::uint64_t values) {
    absl::StatusOr<http_protocol::Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->changes) {
      return absl::UnimplementedError(
          absl::StrCat("http: the server at ", options_.base_url,
                       " does not advertise a change feed"));
    }
    absl::StatusOr<Response> r = Perform(
        "POST",
        absl::StrCat(ToAbsl(http_protocol::kChangesPath), "?after=", after,
                     "&limit=", limit, "&wait=", wait_ms,
                     values > 0 ? absl::StrCat("&values=", values) : ""),
        {}, std::string_view(), "changes", false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "POST", "", false);
    absl::StatusOr<http_protocol::Feed> feed =
        http_protocol::ParseFeedJson(r->body);
    if (!feed.ok()) return feed.status();
    return std::move(feed->events);
  }

  static std::optional<std::string> OptionalHeader(const Response& r,
                                                   std::string_view name) {
    if (!r.HasHeader(name)) return std::nullopt;
    return r.Header(name);
  }

  static Meta MetaFrom(const Response& r, std::uint64_t body_size) {
    return http_protocol::MetaFromHeaders(
        [&r](std::string_view name) { return OptionalHeader(r, name); },
        body_size, absl::Now());
  }

  static transport::TransportOptions TransportOptionsOf(const HttpOptions& o) {
    transport::TransportOptions t;
    t.connect_timeout = absl::Milliseconds(o.connect_timeout_ms);
    t.request_timeout = absl::Milliseconds(o.request_timeout_ms);
    t.max_idle_handles = o.max_idle_connections;
    return t;
  }

  // One request. `body` nullopt: none. A non-2xx status is returned as a
  // Response; only transport failures are errors here.
  absl::StatusOr<Response> Perform(std::string_view method,
                                   const std::string& path,
                                   const std::vector<std::string>& headers,
                                   std::optional<std::string_view> body,
                                   std::string_view what, bool write) {
    HttpRequest request;
    request.method = std::string(method);
    request.url = absl::StrCat(options_.base_url, path);
    for (const std::string& header : headers) {
      std::size_t colon = header.find(':');
      request.headers.emplace_back(
          header.substr(0, colon),
          std::string(absl::StripAsciiWhitespace(header.substr(colon + 1))));
    }
    if (!options_.token.empty()) {
      request.headers.emplace_back("Authorization",
                                   absl::StrCat("Bearer ", options_.token));
    }
    if (body) {
      request.body = *body;
      request.has_body = true;
    }
    request.kind = write ? RequestKind::kWrite : RequestKind::kRead;
    absl::StatusOr<Response> response =
        transport_.Send(request, absl::StrCat("http ", ToAbsl(what)));
    // The server may come back as another program: probe again before the
    // next precondition is sent.
    if (!response.ok()) ForgetProbe();
    return response;
  }

  HttpOptions options_;
  transport::HttpTransport transport_;
  http_internal::RevalidationCache cache_;
  mutable std::mutex probe_mu_;
  mutable std::optional<http_protocol::Advertised> probe_;
};

}  // namespace

absl::StatusOr<HttpOptions> HttpOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "http" && uri->scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("http store URI must start with http:// or https://: ",
                     QuoteForMessage(text)));
  }
  if (!uri->has_authority || uri->host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("http store URI has no host: ", QuoteForMessage(text)));
  }
  HttpOptions options;
  std::string path = uri->path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  options.base_url = absl::StrCat(
      uri->scheme, "://", uri->host,
      uri->port ? absl::StrCat(":", *uri->port) : std::string(), path);
  options.token = uri->Param("token");
  absl::StatusOr<std::uint64_t> connect =
      uri->UintParam("connect_timeout_ms",
                     static_cast<std::uint64_t>(options.connect_timeout_ms));
  if (!connect.ok()) return connect.status();
  absl::StatusOr<std::uint64_t> timeout = uri->UintParam(
      "timeout_ms", static_cast<std::uint64_t>(options.request_timeout_ms));
  if (!timeout.ok()) return timeout.status();
  absl::StatusOr<std::uint64_t> cache = uri->UintParam(
      "cache_bytes",
      static_cast<std::uint64_t>(options.revalidation_cache_bytes));
  if (!cache.ok()) return cache.status();
  options.revalidation_cache_bytes = static_cast<std::size_t>(*cache);
  options.connect_timeout_ms = static_cast<long>(*connect);
  options.request_timeout_ms = static_cast<long>(*timeout);
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateHttpStore(HttpOptions options) {
  if (options.base_url.empty()) {
    return absl::InvalidArgumentError("http store needs a base URL");
  }
  return std::unique_ptr<Driver>(new HttpStore(std::move(options)));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenHttpStoreUri(std::string_view uri) {
  absl::StatusOr<HttpOptions> options = HttpOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateHttpStore(*std::move(options));
}

}  // namespace cask
