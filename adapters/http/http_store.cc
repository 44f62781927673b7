#include "http_store.h"

#include <curl/curl.h>

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
#include "cask/key.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "http_errors.h"
#include "nlohmann/json.hpp"
#include "uri.h"

namespace cask {
namespace {

using Json = nlohmann::json;
using http_internal::StatusFromCurl;
using http_internal::StatusFromHttp;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Unreserved characters and a few sub-delims stay as they are; everything
// else is %XX, so the server's one percent-decoding gives the key back.
std::string EncodeSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    if (std::isalnum(c) || std::strchr("-._~$!*'()@", c) != nullptr) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// "/a/b" for key "a:b"; "/a/b/" for base "a:b"; "/" for base "".
std::string KeyPath(std::string_view key, bool base) {
  std::string out;
  std::size_t start = 0;
  while (start < key.size()) {
    std::size_t end = key.find(kKeySeparator, start);
    if (end == std::string_view::npos) end = key.size();
    out.push_back('/');
    out.append(EncodeSegment(key.substr(start, end - start)));
    start = end + 1;
  }
  if (base) out.push_back('/');
  return out;
}

std::string PreconditionHeaderValue(const std::vector<std::string>& tags) {
  std::vector<std::string> quoted;
  for (const std::string& t : tags) {
    if (t == kAnyEtag) {
      quoted.push_back("*");
    } else if (t.rfind("W/", 0) == 0) {
      quoted.push_back(absl::StrCat("W/\"", t.substr(2), "\""));
    } else {
      quoted.push_back(absl::StrCat("\"", t, "\""));
    }
  }
  return absl::StrJoin(quoted, ", ");
}

std::string Unquote(std::string_view etag) {
  std::string_view s = ToStd(absl::StripAsciiWhitespace(ToAbsl(etag)));
  std::string prefix;
  if (s.rfind("W/", 0) == 0) {
    prefix = "W/";
    s.remove_prefix(2);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return absl::StrCat(prefix, ToAbsl(s));
}

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  std::optional<std::string> HeaderValue(const std::string& name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

extern "C" size_t CaskHttpWrite(char* ptr, size_t size, size_t n, void* user) {
  static_cast<Response*>(user)->body.append(ptr, size * n);
  return size * n;
}

extern "C" size_t CaskHttpHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(ptr, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();  // a new response (after 100 Continue)
    return size * n;
  }
  std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = absl::AsciiStrToLower(ToAbsl(line.substr(0, colon)));
    std::string value(
        absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1))));
    r->headers[name] = std::move(value);
  }
  return size * n;
}

extern "C" size_t CaskHttpRead(char* buffer, size_t size, size_t n,
                               void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t len = std::min(size * n, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

// A request body is never rewound: libcurl may not re-send a write.
extern "C" int CaskHttpSeek(void*, curl_off_t, int) {
  return CURL_SEEKFUNC_CANTSEEK;
}

// What the server advertised (probe of HEAD <base>/).
struct Advertised {
  bool cas = false;
  bool commit = false;
  bool ttl = false;
  bool changes = false;
  std::uint64_t max_value = 0;
};

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
  explicit HttpStore(HttpOptions options) : options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
      options_.base_url.pop_back();
    }
  }

  ~HttpStore() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  std::string_view name() const override { return "http"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    absl::StatusOr<Advertised> a = Probe();
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
    absl::StatusOr<Response> r = Perform(
        "GET", KeyPath(key, false), {"Accept: application/octet-stream"},
        std::nullopt, Describe("GET", key), false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "GET", key, false);
    Item item;
    item.meta = MetaFrom(*r, r->body.size());
    item.value = std::move(r->body);
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
      absl::StatusOr<Advertised> a = Probe();
      if (!a.ok()) return a.status();
      if (!a->ttl) {
        return absl::UnimplementedError(absl::StrCat(
            "http: the server at ", options_.base_url,
            " does not advertise ttl support (key \"", key, "\")"));
      }
      headers.push_back(
          absl::StrFormat("X-TTL: %.3f", absl::ToDoubleSeconds(options.ttl)));
    }
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
    return Unquote(r->HeaderValue("etag").value_or(""));
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    std::vector<std::string> headers;
    if (absl::Status s = Conditions(precondition, key, headers); !s.ok()) {
      return s;
    }
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
      return absl::DataLossError(absl::StrCat("http: key listing of \"", base,
                                              "\" is not a JSON array"));
    }
    std::vector<std::string> keys;
    for (const Json& k : doc) {
      if (!k.is_string()) continue;
      absl::StatusOr<std::string> key = NormalizeKey(k.get<std::string>());
      if (key.ok()) keys.push_back(*std::move(key));
    }
    return keys;
  }

  absl::Status DoClear(const std::string& base) override {
    absl::StatusOr<Response> r =
        Perform("DELETE", KeyPath(base, true), {}, std::nullopt,
                Describe("DELETE", base), true);
    if (!r.ok()) return r.status();
    if (r->status / 100 != 2) return Failed(*r, "DELETE", base, true);
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    absl::StatusOr<Advertised> a = Probe();
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
        Perform("POST", "/_cask/commit", {"Content-Type: application/json"},
                body, "commit", true);
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

  absl::StatusOr<std::vector<ChangeEvent>> DoChanges(
      std::uint64_t after_revision, std::size_t limit) override {
    return FetchChanges(after_revision, limit, 0);
  }

  absl::StatusOr<std::unique_ptr<Subscription>> DoWatch(
      const std::string& base, std::uint64_t after_revision,
      WatchCallback callback) override {
    // Fails fast (kOutOfRange, unreachable) before the thread starts.
    absl::StatusOr<std::vector<ChangeEvent>> first =
        FetchChanges(after_revision, 1, 0);
    if (!first.ok()) return first.status();
    auto sub = std::make_unique<HttpSubscription>();
    std::shared_ptr<std::atomic<bool>> stop = sub->stop_;
    sub->thread_ = std::thread(
        [this, base, after_revision, stop, cb = std::move(callback)] {
          std::uint64_t after = after_revision;
          while (!stop->load()) {
            absl::StatusOr<std::vector<ChangeEvent>> events =
                FetchChanges(after, 1000, 1000);
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
    return absl::StrCat(ToAbsl(method), " \"", ToAbsl(key), "\"");
  }

  absl::Status Failed(const Response& r, std::string_view method,
                      std::string_view key, bool write) {
    if (r.status == 404 && method != "DELETE") {
      return absl::NotFoundError(
          absl::StrCat("key \"", ToAbsl(key), "\" not found"));
    }
    return StatusFromHttp(r.status, r.body, Describe(method, key), key, write);
  }

  // Adds If-Match / If-None-Match, but only for a server that advertised
  // CAS (else kUnimplemented, before anything is sent).
  absl::Status Conditions(const Precondition& p, const std::string& key,
                          std::vector<std::string>& headers) {
    if (p.empty()) return absl::OkStatus();
    absl::StatusOr<Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->cas) {
      return CasUnsupportedError(absl::StrCat(
          "http: the server at ", options_.base_url,
          " does not advertise CAS (no \"X-Cask-CAS: 1\"); refusing to send ",
          DescribePrecondition(p), " for key \"", key, "\""));
    }
    if (p.if_match) {
      headers.push_back(
          absl::StrCat("If-Match: ", PreconditionHeaderValue(*p.if_match)));
    }
    if (p.if_none_match) {
      headers.push_back(absl::StrCat(
          "If-None-Match: ", PreconditionHeaderValue(*p.if_none_match)));
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
    if (p.empty() || r.HeaderValue("x-cask-cas").value_or("") == "1") {
      return absl::OkStatus();
    }
    ForgetProbe();
    return absl::UnknownError(absl::StrCat(
        "http: the server at ", options_.base_url,
        " answered a conditional write of key \"", key,
        "\" without advertising CAS; it may have applied the write without "
        "its precondition, so the outcome is unknown"));
  }

  absl::StatusOr<Advertised> Probe() const {
    {
      std::lock_guard<std::mutex> lock(probe_mu_);
      if (probe_) return *probe_;
    }
    absl::StatusOr<Response> r = const_cast<HttpStore*>(this)->Perform(
        "HEAD", "/", {}, std::nullopt, "probe", false);
    if (!r.ok()) return r.status();
    if (r->status == 401 || r->status == 403) {
      return StatusFromHttp(r->status, r->body, "probe", "", false);
    }
    Advertised a;
    a.cas = r->HeaderValue("x-cask-cas").value_or("") == "1";
    std::string features = r->HeaderValue("x-cask-features").value_or("");
    for (absl::string_view f : absl::StrSplit(features, ',')) {
      f = absl::StripAsciiWhitespace(f);
      if (f == "commit") a.commit = true;
      if (f == "ttl") a.ttl = true;
      if (f == "changes") a.changes = true;
    }
    std::uint64_t max_value = 0;
    if (absl::SimpleAtoi(r->HeaderValue("x-cask-max-value").value_or(""),
                         &max_value)) {
      a.max_value = max_value;
    }
    std::lock_guard<std::mutex> lock(probe_mu_);
    probe_ = a;
    return a;
  }

  absl::StatusOr<std::vector<ChangeEvent>> FetchChanges(std::uint64_t after,
                                                        std::size_t limit,
                                                        int wait_ms) {
    absl::StatusOr<Advertised> a = Probe();
    if (!a.ok()) return a.status();
    if (!a->changes) {
      return absl::UnimplementedError(
          absl::StrCat("http: the server at ", options_.base_url,
                       " does not advertise a change feed"));
    }
    absl::StatusOr<Response> r =
        Perform("POST",
                absl::StrCat("/_cask/changes?after=", after, "&limit=", limit,
                             "&wait=", wait_ms),
                {}, std::string_view(), "changes", false);
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r, "POST", "", false);
    Json doc = Json::parse(r->body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("events") ||
        !doc["events"].is_array()) {
      return absl::DataLossError("http changes: answer is not understood");
    }
    std::vector<ChangeEvent> out;
    for (const Json& j : doc["events"]) {
      ChangeEvent e;
      e.revision = j.value("revision", std::uint64_t{0});
      e.key = j.value("key", std::string());
      std::string kind = j.value("kind", std::string());
      for (ChangeKind k : {ChangeKind::kPut, ChangeKind::kDelete,
                           ChangeKind::kExpire, ChangeKind::kClear}) {
        if (ChangeKindName(k) == kind) e.kind = k;
      }
      e.etag = j.value("etag", std::string());
      e.time = absl::FromUnixMicros(j.value("time_us", std::int64_t{0}));
      e.size = j.value("size", std::uint64_t{0});
      out.push_back(std::move(e));
    }
    return out;
  }

  Meta MetaFrom(const Response& r, std::uint64_t body_size) const {
    Meta meta;
    meta.etag = Unquote(r.HeaderValue("etag").value_or(""));
    std::int64_t micros = 0;
    std::uint64_t number = 0;
    if (absl::SimpleAtoi(r.HeaderValue("x-cask-mtime").value_or(""), &micros)) {
      meta.mtime = absl::FromUnixMicros(micros);
    } else if (std::optional<std::string> lm = r.HeaderValue("last-modified")) {
      std::string err;
      if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", *lm, &meta.mtime,
                           &err)) {
        meta.mtime = absl::UnixEpoch();
      }
    }
    meta.size =
        absl::SimpleAtoi(r.HeaderValue("x-cask-size").value_or(""), &number)
            ? number
            : body_size;
    if (absl::SimpleAtoi(r.HeaderValue("x-cask-expires").value_or(""),
                         &micros)) {
      meta.expires = absl::FromUnixMicros(micros);
    } else if (absl::SimpleAtoi(r.HeaderValue("x-ttl").value_or(""), &number) &&
               number > 0) {
      meta.expires = absl::Now() + absl::Seconds(number);
    }
    if (absl::SimpleAtoi(r.HeaderValue("x-cask-revision").value_or(""),
                         &number)) {
      meta.revision = number;
    }
    return meta;
  }

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* h) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
      idle_.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  // One request. `body` nullopt: none. A non-2xx status is returned as a
  // Response; only transport failures are errors here.
  absl::StatusOr<Response> Perform(std::string_view method,
                                   const std::string& path,
                                   const std::vector<std::string>& headers,
                                   std::optional<std::string_view> body,
                                   std::string_view what, bool write) {
    CURL* h = Acquire();
    if (h == nullptr) return absl::ResourceExhaustedError("curl_easy_init");
    curl_easy_reset(h);
    std::string url = absl::StrCat(options_.base_url, path);
    Response response;
    Upload upload{body.value_or(std::string_view()), 0};
    char error[CURL_ERROR_SIZE] = {0};
    curl_slist* list = nullptr;
    for (const std::string& header : headers) {
      list = curl_slist_append(list, header.c_str());
    }
    if (!options_.token.empty()) {
      list = curl_slist_append(
          list, absl::StrCat("Authorization: Bearer ", options_.token).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, CaskHttpWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, CaskHttpHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    // Below the server's keep-alive timeout (5 s by default), so a pooled
    // connection is not closed by the server just as a write is sent.
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, 3L);
    if (options_.connect_timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                       options_.connect_timeout_ms);
    }
    if (options_.request_timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
    }
    std::string method_str(method);
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (body) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_str.c_str());
      curl_easy_setopt(h, CURLOPT_READFUNCTION, CaskHttpRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, CaskHttpSeek);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(upload.data.size()));
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_str.c_str());
    }
    CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (code != CURLE_OK) {
      long sent = 0;
      curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
      curl_easy_cleanup(h);  // its connection is suspect; drop it
      // The server may come back as another program: probe again before
      // the next precondition is sent.
      ForgetProbe();
      return StatusFromCurl(code, error, what, write, sent > 0);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    Release(h);
    return response;
  }

  HttpOptions options_;
  mutable std::mutex probe_mu_;
  mutable std::optional<Advertised> probe_;
  std::mutex pool_mu_;
  std::vector<CURL*> idle_;
};

}  // namespace

absl::StatusOr<HttpOptions> HttpOptions::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (uri->scheme != "http" && uri->scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("http store URI must start with http:// or https://: \"",
                     ToAbsl(text), "\""));
  }
  if (!uri->has_authority || uri->host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("http store URI has no host: \"", ToAbsl(text), "\""));
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
  options.connect_timeout_ms = static_cast<long>(*connect);
  options.request_timeout_ms = static_cast<long>(*timeout);
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateHttpStore(HttpOptions options) {
  if (options.base_url.empty()) {
    return absl::InvalidArgumentError("http store needs a base URL");
  }
  GlobalInit();
  return std::unique_ptr<Driver>(new HttpStore(std::move(options)));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenHttpStoreUri(std::string_view uri) {
  absl::StatusOr<HttpOptions> options = HttpOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateHttpStore(*std::move(options));
}

}  // namespace cask
