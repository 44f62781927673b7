#include "s3_store.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "conditional_write.h"
#include "error_status.h"
#include "key_order_walk.h"
#include "object_http.h"
#include "object_names.h"
#include "percent_encoding.h"
#include "s3_errors.h"
#include "scan_page.h"
#include "uri.h"
#include "uri_params.h"
#include "xml_document.h"

namespace cask {
namespace {

using objstore::ConditionalHeaders;
using objstore::WriteAttempt;
using s3::WriteVerdict;
using transport::HttpRequest;
using transport::HttpResponse;

constexpr std::uint64_t kSinglePutLimit = 5ull << 30;  // 5 GiB
constexpr int kDeleteBatch = 1000;                     // DeleteObjects max

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The bucket's URL: path style (endpoint/bucket) or virtual-hosted
// (bucket.endpoint).
std::string BucketUrl(const S3Options& options) {
  std::string endpoint = objstore::TrimTrailingSlashes(
      options.endpoint.empty()
          ? absl::StrCat("https://s3.", options.region, ".amazonaws.com")
          : options.endpoint);
  if (options.path_style) return absl::StrCat(endpoint, "/", options.bucket);
  std::size_t scheme = endpoint.find("://");
  return scheme == std::string::npos
             ? absl::StrCat("https://", options.bucket, ".", endpoint)
             : absl::StrCat(endpoint.substr(0, scheme + 3), options.bucket, ".",
                            endpoint.substr(scheme + 3));
}

class S3Store final : public Driver {
 public:
  explicit S3Store(S3Options options)
      : options_(std::move(options)),
        http_(objstore::TransportFor(options_.connect_timeout)),
        names_(BucketUrl(options_), options_.prefix) {
    sigv4_ = absl::StrCat("aws:amz:", options_.region, ":s3");
    userpwd_ = absl::StrCat(options_.access_key, ":", options_.secret_key);
  }

  std::string_view name() const override { return "s3"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = true;
    caps.max_value_bytes = options_.max_value_bytes == 0
                               ? kSinglePutLimit
                               : options_.max_value_bytes;
    return caps;
  }

  absl::Status CreateBucket() {
    HttpRequest req = Request("PUT", names_.base_url());
    std::string body;
    if (options_.region != "us-east-1") {
      body = absl::StrCat(
          "<CreateBucketConfiguration "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>",
          options_.region, "</LocationConstraint></CreateBucketConfiguration>");
    }
    req.body = body;
    req.has_body = true;
    req.kind = transport::RequestKind::kWrite;
    absl::StatusOr<HttpResponse> r = http_.Send(req, "s3 create bucket");
    if (!r.ok()) return r.status();
    if (r->status / 100 == 2) return absl::OkStatus();
    if (s3::ErrorCode(*r) == "BucketAlreadyOwnedByYou") return absl::OkStatus();
    return s3::S3Error("create bucket", options_.bucket, *r, true);
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    HttpRequest req = Request("GET", ObjectUrl(key));
    absl::StatusOr<HttpResponse> r = http_.Send(req, "s3 get");
    if (!r.ok()) return r.status();
    if (r->status == 404 && s3::ErrorCode(*r) != "NoSuchBucket") {
      return NotFound(key);
    }
    if (r->status != 200) return s3::S3Error("get", key, *r, false);
    Item item;
    item.meta = objstore::MetaFromHeaders(*r);
    item.meta.size = r->body.size();
    item.value = std::move(r->body);
    return item;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::StatusOr<HttpResponse> r = Head(key);
    if (!r.ok()) return r.status();
    if (r->status == 404) return NotFound(key);
    if (r->status != 200) return s3::S3Error("head", key, *r, false);
    return objstore::MetaFromHeaders(*r);
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    return objstore::WriteConditionally(
        "s3 put", key, options.precondition, {}, /*remove=*/false, Attempts(),
        [&] { return CurrentEtag(key); },
        [&](const ConditionalHeaders& h) { return Put(key, value, h); });
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& p) override {
    // DELETE honours If-Match "E" only; every other shape is emulated.
    return objstore::WriteConditionally(
               "s3 delete", key, p, {}, /*remove=*/true, Attempts(),
               [&] { return CurrentEtag(key); },
               [&](const ConditionalHeaders& h) { return Delete(key, h); })
        .status();
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    return objstore::ScanByWalk(
        [&](const std::string& level_key, const std::string& after,
            const std::string& continuation, std::size_t max) {
          return ListLevel(level_key, after, continuation, max);
        },
        base, options,
        // The value and its metadata come from one GET.
        [&](const std::string& key) { return DoGet(key); });
  }

  absl::Status DoClear(const std::string& base) override {
    std::vector<std::string> batch;
    absl::Status s = List(base, [&](std::string object) {
      batch.push_back(std::move(object));
      if (batch.size() < kDeleteBatch) return absl::OkStatus();
      absl::Status d = DeleteObjects(batch);
      batch.clear();
      return d;
    });
    if (!s.ok()) return s;
    return batch.empty() ? absl::OkStatus() : DeleteObjects(batch);
  }

 private:
  int Attempts() const { return options_.conflict_retries + 1; }

  HttpRequest Request(std::string method, std::string url) const {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.aws_sigv4 = sigv4_;
    req.userpwd = userpwd_;
    // The payload is not hashed into the signature: values go out from the
    // caller's memory in one pass (TLS protects them on AWS).
    req.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    if (!options_.session_token.empty()) {
      req.headers.emplace_back("x-amz-security-token", options_.session_token);
    }
    return req;
  }

  std::string KeyOf(std::string_view object) const {
    return names_.KeyOf(object);
  }

  std::string ObjectUrl(const std::string& key) const {
    return names_.UrlOf(key);
  }

  static absl::Status NotFound(const std::string& key) {
    return objstore::KeyNotFound("s3", key);
  }

  absl::StatusOr<HttpResponse> Head(const std::string& key) {
    return http_.Send(Request("HEAD", ObjectUrl(key)), "s3 head");
  }

  // The current etag, nullopt when the object is absent.
  absl::StatusOr<std::optional<std::string>> CurrentEtag(
      const std::string& key) {
    absl::StatusOr<HttpResponse> r = Head(key);
    if (!r.ok()) return r.status();
    if (r->status == 404) return std::optional<std::string>();
    if (r->status != 200) return s3::S3Error("head", key, *r, false);
    return std::optional<std::string>(objstore::UnquoteEtag(r->Header("etag")));
  }

  // A CAS mismatch carrying the etag read right after the refusal.
  static void AddConditions(const ConditionalHeaders& h, HttpRequest* req) {
    if (!h.if_match.empty()) req->headers.emplace_back("If-Match", h.if_match);
    if (!h.if_none_match.empty())
      req->headers.emplace_back("If-None-Match", h.if_none_match);
  }

  // One conditional write, re-sent on 409 ConditionalRequestConflict.
  absl::StatusOr<WriteAttempt> Write(std::string_view op,
                                     const std::string& key,
                                     const HttpRequest& req,
                                     bool sent_if_match) {
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<HttpResponse> r =
          http_.Send(req, absl::StrCat("s3 ", ToAbsl(op)));
      if (!r.ok()) return r.status();
      switch (s3::ClassifyWrite(*r, sent_if_match)) {
        case WriteVerdict::kOk:
          return WriteAttempt{false, objstore::UnquoteEtag(r->Header("etag"))};
        case WriteVerdict::kConditionFailed:
          return WriteAttempt{true, ""};
        case WriteVerdict::kConflict:
          if (attempt < options_.conflict_retries) continue;
          [[fallthrough]];
        case WriteVerdict::kError:
          return s3::S3Error(op, key, *r, true);
      }
    }
  }

  absl::StatusOr<WriteAttempt> Put(const std::string& key,
                                   std::string_view value,
                                   const ConditionalHeaders& h) {
    HttpRequest req = Request("PUT", ObjectUrl(key));
    req.headers.emplace_back("Content-Type", "application/octet-stream");
    AddConditions(h, &req);
    req.body = value;
    req.has_body = true;
    req.kind = transport::RequestKind::kWrite;
    absl::StatusOr<WriteAttempt> r =
        Write("put", key, req, !h.if_match.empty());
    if (r.ok() && !r->condition_failed && r->etag.empty()) {
      return absl::InternalError(absl::StrCat("s3 put ", QuoteForMessage(key),
                                              ": the answer carried no ETag"));
    }
    return r;
  }

  absl::StatusOr<WriteAttempt> Delete(const std::string& key,
                                      const ConditionalHeaders& h) {
    HttpRequest req = Request("DELETE", ObjectUrl(key));
    AddConditions(h, &req);
    req.kind = transport::RequestKind::kWrite;
    return Write("delete", key, req, !h.if_match.empty());
  }

  // Calls `each` with every object name under `base`, page by page.
  template <typename Fn>
  absl::Status List(const std::string& base, Fn each) {
    const std::string prefix = names_.ListPrefix(base);
    std::string token;
    while (true) {
      std::string url = absl::StrCat(
          names_.base_url(), "?list-type=2&encoding-type=url&prefix=",
          PercentEncode(prefix, KeptBytes::Unreserved()));
      if (!token.empty())
        absl::StrAppend(&url, "&continuation-token=",
                        PercentEncode(token, KeptBytes::Unreserved()));
      absl::StatusOr<HttpResponse> r =
          http_.Send(Request("GET", url), "s3 list");
      if (!r.ok()) return r.status();
      if (r->status != 200) return s3::S3Error("list", base, *r, false);
      absl::StatusOr<objstore::XmlDocument> page =
          objstore::XmlDocument::Parse(r->body);
      if (!page.ok()) return s3::MalformedAnswer("list", base, page.status());
      for (const std::string& encoded : page->Texts({"Contents", "Key"})) {
        absl::StatusOr<std::string> object = PercentDecode(encoded);
        if (!object.ok()) return object.status();
        // Objects that cannot be cask keys (empty segments) are skipped.
        if (object->size() <= prefix.size() ||
            absl::StrContains(*object, "//") || object->back() == '/') {
          continue;
        }
        if (absl::Status s = each(*std::move(object)); !s.ok()) return s;
      }
      if (page->Text({"IsTruncated"}) != "true") return absl::OkStatus();
      token = page->Text({"NextContinuationToken"});
      if (token.empty()) {
        return absl::InternalError(
            "s3 list: truncated page without a continuation token");
      }
    }
  }

  // One page of the level below key prefix `level_key` (a ListObjectsV2
  // with delimiter '/'): its objects with their listed metadata and its
  // directories, merged in name order (S3 answers them apart).
  absl::StatusOr<objstore::LevelPage> ListLevel(const std::string& level_key,
                                                const std::string& after,
                                                const std::string& continuation,
                                                std::size_t max) {
    const std::string prefix = names_.ListPrefix(level_key);
    std::string url = absl::StrCat(
        names_.base_url(),
        "?list-type=2&encoding-type=url&delimiter=%2F&max-keys=", max,
        "&prefix=", PercentEncode(prefix, KeptBytes::Unreserved()));
    if (!continuation.empty()) {
      absl::StrAppend(&url, "&continuation-token=",
                      PercentEncode(continuation, KeptBytes::Unreserved()));
    } else if (!after.empty()) {
      absl::StrAppend(
          &url, "&start-after=",
          PercentEncode(absl::StrCat(prefix, after), KeptBytes::Unreserved()));
    }
    absl::StatusOr<HttpResponse> r = http_.Send(Request("GET", url), "s3 list");
    if (!r.ok()) return r.status();
    if (r->status != 200) return s3::S3Error("scan", level_key, *r, false);
    absl::StatusOr<objstore::XmlDocument> doc =
        objstore::XmlDocument::Parse(r->body);
    if (!doc.ok()) return s3::MalformedAnswer("scan", level_key, doc.status());
    std::vector<std::string> keys = doc->Texts({"Contents", "Key"});
    std::vector<std::string> etags = doc->Texts({"Contents", "ETag"});
    std::vector<std::string> sizes = doc->Texts({"Contents", "Size"});
    std::vector<std::string> times = doc->Texts({"Contents", "LastModified"});
    if (etags.size() != keys.size() || sizes.size() != keys.size() ||
        times.size() != keys.size()) {
      return s3::MalformedAnswer(
          "scan", level_key,
          absl::InternalError("an object without ETag, Size or LastModified"));
    }
    // The segment below the level of an encoded name (a name outside the
    // listed prefix is a malformed answer).
    auto segment_of =
        [&](const std::string& encoded) -> absl::StatusOr<std::string> {
      absl::StatusOr<std::string> name = PercentDecode(encoded);
      if (!name.ok()) return name.status();
      if (!absl::StartsWith(*name, prefix)) {
        return s3::MalformedAnswer(
            "scan", level_key,
            absl::InternalError("a name outside the listed prefix"));
      }
      return name->substr(prefix.size());
    };
    std::vector<objstore::LevelEntry> objects;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      absl::StatusOr<std::string> segment = segment_of(keys[i]);
      if (!segment.ok()) return segment.status();
      objstore::LevelEntry e;
      e.segment = *std::move(segment);
      e.meta.etag = objstore::UnquoteEtag(etags[i]);
      e.meta.mtime = objstore::ParseHttpOrIsoTime(times[i]);
      if (!absl::SimpleAtoi(sizes[i], &e.meta.size)) {
        return s3::MalformedAnswer(
            "scan", level_key, absl::InternalError("a Size that is no number"));
      }
      objects.push_back(std::move(e));
    }
    std::vector<objstore::LevelEntry> dirs;
    for (const std::string& encoded :
         doc->Texts({"CommonPrefixes", "Prefix"})) {
      absl::StatusOr<std::string> segment = segment_of(encoded);
      if (!segment.ok()) return segment.status();
      objstore::LevelEntry e;
      e.segment = *std::move(segment);
      if (!e.segment.empty() && e.segment.back() == '/') e.segment.pop_back();
      e.is_dir = true;
      dirs.push_back(std::move(e));
    }
    objstore::LevelPage page;
    page.entries = objstore::MergeByName(std::move(objects), std::move(dirs));
    if (doc->Text({"IsTruncated"}) == "true") {
      page.continuation = doc->Text({"NextContinuationToken"});
      if (page.continuation.empty()) {
        return absl::InternalError(
            "s3 list: truncated page without a continuation token");
      }
    }
    return page;
  }

  absl::Status DeleteObjects(const std::vector<std::string>& objects) {
    std::string body =
        "<Delete "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
    for (const std::string& o : objects) {
      absl::StrAppend(&body, "<Object><Key>", objstore::XmlEscape(o),
                      "</Key></Object>");
    }
    absl::StrAppend(&body, "</Delete>");
    unsigned char md5[EVP_MAX_MD_SIZE];
    unsigned int md5_len = 0;
    // S3 requires Content-MD5 on DeleteObjects.
    EVP_Digest(body.data(), body.size(), md5, &md5_len, EVP_md5(), nullptr);
    HttpRequest req =
        Request("POST", absl::StrCat(names_.base_url(), "?delete"));
    req.headers.emplace_back("Content-Type", "application/xml");
    req.headers.emplace_back("Content-MD5",
                             objstore::Base64Encode(std::string_view(
                                 reinterpret_cast<char*>(md5), md5_len)));
    req.body = body;
    req.has_body = true;
    req.kind = transport::RequestKind::kWrite;
    absl::StatusOr<HttpResponse> r = http_.Send(req, "s3 delete objects");
    if (!r.ok()) return r.status();
    if (r->status != 200)
      return s3::S3Error("clear", KeyOf(objects.front()), *r, true);
    absl::StatusOr<objstore::XmlDocument> result =
        objstore::XmlDocument::Parse(r->body);
    if (!result.ok()) {
      return s3::MalformedAnswer("clear", KeyOf(objects.front()),
                                 result.status());
    }
    std::vector<std::string> failed = result->Texts({"Error", "Key"});
    if (!failed.empty()) {
      return absl::UnavailableError(
          absl::StrCat("s3 clear: ", failed.size(),
                       " objects were not deleted, e.g. ", failed.front(), ": ",
                       result->Text({"Error", "Code"}), " (retry may help)"));
    }
    return absl::OkStatus();
  }

  const S3Options options_;
  transport::HttpTransport http_;
  const objstore::ObjectNames names_;
  std::string sigv4_;
  std::string userpwd_;
};

}  // namespace

absl::StatusOr<S3Options> S3Options::FromUri(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("s3 URI ", QuoteForMessage(text), ": ", ToAbsl(why)));
  };
  if (uri->scheme != "s3") return bad("scheme must be s3");
  for (const auto& [name, value] : uri->query) {
    static const auto* known = new std::set<std::string>{
        "endpoint",      "region",           "path_style",
        "access_key",    "secret_key",       "session_token",
        "create_bucket", "conflict_retries", "max_value_bytes"};
    if (known->count(name) == 0)
      return bad(absl::StrCat("unknown parameter ", name));
  }
  S3Options o;
  o.bucket = uri->host;
  if (o.bucket.empty()) return bad("no bucket (s3://bucket/prefix)");
  o.prefix =
      std::string(absl::StripSuffix(absl::StripPrefix(uri->path, "/"), "/"));
  if (absl::StrContains(o.prefix, "//"))
    return bad("empty segment in the prefix");
  o.endpoint = uri->Param("endpoint");
  std::string region_env = Env("AWS_REGION");
  if (region_env.empty()) region_env = Env("AWS_DEFAULT_REGION");
  o.region =
      uri->Param("region", region_env.empty() ? "us-east-1" : region_env);
  absl::StatusOr<bool> path_style =
      objstore::BoolParam(*uri, "path_style", !o.endpoint.empty());
  if (!path_style.ok()) return path_style.status();
  o.path_style = *path_style;
  o.access_key = uri->Param("access_key", Env("AWS_ACCESS_KEY_ID"));
  o.secret_key = uri->Param("secret_key", Env("AWS_SECRET_ACCESS_KEY"));
  o.session_token = uri->Param("session_token", Env("AWS_SESSION_TOKEN"));
  if (o.access_key.empty() || o.secret_key.empty()) {
    return bad("no credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");
  }
  absl::StatusOr<bool> create =
      objstore::BoolParam(*uri, "create_bucket", false);
  if (!create.ok()) return create.status();
  o.create_bucket = *create;
  if (absl::Status s = objstore::ParseWriteParams(
          *uri, bad, &o.conflict_retries, &o.max_value_bytes);
      !s.ok()) {
    return s;
  }
  return o;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateS3Store(S3Options options) {
  if (options.bucket.empty())
    return absl::InvalidArgumentError("s3: no bucket");
  if (options.max_value_bytes > kSinglePutLimit) {
    return absl::InvalidArgumentError(
        "s3: max_value_bytes over the 5 GiB single-PUT limit");
  }
  bool create = options.create_bucket;
  auto store = std::make_unique<S3Store>(std::move(options));
  if (create) {
    if (absl::Status s = store->CreateBucket(); !s.ok()) return s;
  }
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenS3StoreUri(std::string_view uri) {
  absl::StatusOr<S3Options> options = S3Options::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateS3Store(*std::move(options));
}

}  // namespace cask
