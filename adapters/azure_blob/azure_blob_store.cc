#include "azure_blob_store.h"

#include <atomic>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "azure_blob_errors.h"
#include "azure_shared_key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "conditional_write.h"
#include "error_status.h"
#include "key_order_walk.h"
#include "object_http.h"
#include "object_names.h"
#include "percent_encoding.h"
#include "scan_page.h"
#include "uri.h"
#include "uri_params.h"
#include "xml_document.h"

namespace cask {
namespace {

using azblob::WriteVerdict;
using objstore::AzureService;
using objstore::ConditionalHeaders;
using objstore::WriteAttempt;
using transport::HttpRequest;
using transport::HttpResponse;

constexpr std::uint64_t kPutBlobLimit = 5000ull << 20;  // 5000 MiB

// Shapes sent as headers on Put Blob. Azurite applies If-Match: * to a
// missing blob (it creates it) and refuses two condition headers, so those
// shapes are emulated rather than trusted.
constexpr objstore::NativeShapes kAzureShapes{
    .if_match_any = false, .if_none_match_tag = true, .both_headers = false};

std::string ContainerUrl(const AzureBlobOptions& options) {
  std::string endpoint = objstore::TrimTrailingSlashes(
      options.endpoint.empty()
          ? absl::StrCat("https://", options.account, ".blob.core.windows.net")
          : options.endpoint);
  return absl::StrCat(endpoint, "/", options.container);
}

class AzureBlobStore final : public Driver {
 public:
  AzureBlobStore(AzureBlobOptions options, objstore::AzureCredentials creds)
      : options_(std::move(options)),
        creds_(std::move(creds)),
        http_(objstore::TransportFor(options_.connect_timeout)),
        names_(ContainerUrl(options_), options_.prefix) {}

  std::string_view name() const override { return "azure_blob"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.cas = true;
    caps.max_value_bytes = options_.max_value_bytes == 0
                               ? kPutBlobLimit
                               : options_.max_value_bytes;
    return caps;
  }

  absl::Status CreateContainer() {
    absl::StatusOr<HttpResponse> r =
        Send("PUT", absl::StrCat(names_.base_url(), "?restype=container"), {},
             nullptr, "create container");
    if (!r.ok()) return r.status();
    if (r->status / 100 == 2 ||
        azblob::ErrorCode(*r) == "ContainerAlreadyExists") {
      return absl::OkStatus();
    }
    return azblob::AzureBlobError("create container", options_.container, *r,
                                  true);
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::StatusOr<HttpResponse> r =
        Send("GET", BlobUrl(key), {}, nullptr, "get");
    if (!r.ok()) return r.status();
    if (r->status == 404 && azblob::ErrorCode(*r) == "BlobNotFound")
      return NotFound(key);
    if (r->status != 200) return azblob::AzureBlobError("get", key, *r, false);
    Item item;
    item.meta = objstore::MetaFromHeaders(*r);
    item.meta.size = r->body.size();
    item.value = std::move(r->body);
    return item;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::StatusOr<HttpResponse> r =
        Send("HEAD", BlobUrl(key), {}, nullptr, "head");
    if (!r.ok()) return r.status();
    // HEAD answers carry no body: a 404 is the blob or its container.
    if (r->status == 404 && azblob::ErrorCode(*r) != "ContainerNotFound") {
      return NotFound(key);
    }
    if (r->status != 200) return azblob::AzureBlobError("head", key, *r, false);
    return objstore::MetaFromHeaders(*r);
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    return objstore::WriteConditionally(
        "azure blob put", key, options.precondition, kAzureShapes,
        /*remove=*/false, options_.conflict_retries + 1,
        [&] { return CurrentEtag(key); },
        [&](const ConditionalHeaders& h) { return Put(key, value, h); });
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& p) override {
    // Delete Blob: only If-Match "E" is sent (Azurite ignores If-None-Match
    // on deletes); every other shape is emulated.
    return objstore::WriteConditionally(
               "azure blob delete", key, p, kAzureShapes, /*remove=*/true,
               options_.conflict_retries + 1, [&] { return CurrentEtag(key); },
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
    std::vector<std::string> blobs;
    absl::Status s = List(base, [&](const std::string& blob) {
      blobs.push_back(blob);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    for (const std::string& blob : blobs) {
      absl::StatusOr<WriteAttempt> r = Delete(KeyOf(blob), {});
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<HttpResponse> Send(std::string method, std::string url,
                                    const ConditionalHeaders& h,
                                    const std::string_view* body,
                                    std::string_view op) {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.kind = (req.method == "PUT" || req.method == "DELETE")
                   ? transport::RequestKind::kWrite
                   : transport::RequestKind::kRead;
    if (!h.if_match.empty()) req.headers.emplace_back("If-Match", h.if_match);
    if (!h.if_none_match.empty())
      req.headers.emplace_back("If-None-Match", h.if_none_match);
    if (body != nullptr) {
      req.headers.emplace_back("Content-Type", "application/octet-stream");
      req.headers.emplace_back("x-ms-blob-type", "BlockBlob");
      req.body = *body;
      req.has_body = true;
    } else if (req.method == "PUT") {
      req.has_body = true;  // Content-Length: 0
    }
    if (absl::Status s =
            objstore::Authorize(AzureService::kBlob, creds_, absl::Now(), &req);
        !s.ok()) {
      return s;
    }
    return http_.Send(req, absl::StrCat("azure blob ", ToAbsl(op)));
  }

  std::string KeyOf(std::string_view blob) const { return names_.KeyOf(blob); }

  std::string BlobUrl(const std::string& key) const {
    return names_.UrlOf(key);
  }

  static absl::Status NotFound(const std::string& key) {
    return objstore::KeyNotFound("azure blob", key);
  }

  absl::StatusOr<std::optional<std::string>> CurrentEtag(
      const std::string& key) {
    absl::StatusOr<Meta> meta = DoGetMeta(key);
    if (meta.ok()) return std::optional<std::string>(meta->etag);
    if (absl::IsNotFound(meta.status())) return std::optional<std::string>();
    return meta.status();
  }

  absl::StatusOr<WriteAttempt> Verdict(std::string_view op,
                                       const std::string& key,
                                       const HttpResponse& r,
                                       bool sent_if_match) {
    switch (azblob::ClassifyWrite(r, sent_if_match)) {
      case WriteVerdict::kOk:
      case WriteVerdict::kAbsent:
        return WriteAttempt{false, objstore::UnquoteEtag(r.Header("etag"))};
      case WriteVerdict::kConditionFailed:
        return WriteAttempt{true, ""};
      case WriteVerdict::kError:
        break;
    }
    return azblob::AzureBlobError(op, key, r, true);
  }

  absl::StatusOr<WriteAttempt> Put(const std::string& key,
                                   std::string_view value,
                                   const ConditionalHeaders& h) {
    absl::StatusOr<HttpResponse> r =
        Send("PUT", BlobUrl(key), h, &value, "put");
    if (!r.ok()) return r.status();
    absl::StatusOr<WriteAttempt> v =
        Verdict("put", key, *r, !h.if_match.empty());
    if (v.ok() && !v->condition_failed && v->etag.empty()) {
      return absl::InternalError(absl::StrCat("azure blob put ",
                                              QuoteForMessage(key),
                                              ": the answer carried no ETag"));
    }
    return v;
  }

  absl::StatusOr<WriteAttempt> Delete(const std::string& key,
                                      const ConditionalHeaders& h) {
    absl::StatusOr<HttpResponse> r =
        Send("DELETE", BlobUrl(key), h, nullptr, "delete");
    if (!r.ok()) return r.status();
    absl::StatusOr<WriteAttempt> v =
        Verdict("delete", key, *r, !h.if_match.empty());
    if (v.ok()) v->etag.clear();
    return v;
  }

  // Calls `each` with every blob name under `base`, page by page.
  template <typename Fn>
  absl::Status List(const std::string& base, Fn each) {
    const std::string prefix = names_.ListPrefix(base);
    std::string marker;
    while (true) {
      std::string url = absl::StrCat(
          names_.base_url(), "?restype=container&comp=list&prefix=",
          PercentEncode(prefix, KeptBytes::Unreserved()));
      if (!marker.empty())
        absl::StrAppend(
            &url, "&marker=", PercentEncode(marker, KeptBytes::Unreserved()));
      absl::StatusOr<HttpResponse> r = Send("GET", url, {}, nullptr, "list");
      if (!r.ok()) return r.status();
      if (r->status != 200)
        return azblob::AzureBlobError("list", base, *r, false);
      absl::StatusOr<objstore::XmlDocument> page =
          objstore::XmlDocument::Parse(r->body);
      if (!page.ok()) {
        return azblob::MalformedAnswer("list", base, page.status());
      }
      for (const std::string& blob : page->Texts({"Blobs", "Blob", "Name"})) {
        // Blobs that cannot be cask keys (empty segments) are skipped.
        if (blob.size() <= prefix.size() || absl::StrContains(blob, "//") ||
            blob.back() == '/') {
          continue;
        }
        if (absl::Status s = each(blob); !s.ok()) return s;
      }
      marker = page->Text({"NextMarker"});
      if (marker.empty()) return absl::OkStatus();
    }
  }

  // One page of the level below key prefix `level_key`: a List Blobs with
  // delimiter '/'. Azure has no start-after: its marker is opaque. Azurite's
  // marker is the last name listed (exclusive), so `after` is sent as one;
  // a service that refuses it (400) is thereafter listed from the level's
  // start, entries up to `after` dropped page by page (bounded memory,
  // O(level) requests to resume).
  absl::StatusOr<objstore::LevelPage> ListLevel(const std::string& level_key,
                                                const std::string& after,
                                                const std::string& continuation,
                                                std::size_t max) {
    const std::string prefix = names_.ListPrefix(level_key);
    const std::string after_name =
        after.empty() ? "" : absl::StrCat(prefix, after);
    std::string marker = continuation;
    bool name_marker = false;
    if (marker.empty() && !after.empty() && name_markers_.load()) {
      marker = after_name;
      name_marker = true;
    }
    for (;;) {
      std::string url = absl::StrCat(
          names_.base_url(),
          "?restype=container&comp=list&delimiter=%2F&maxresults=", max,
          "&prefix=", PercentEncode(prefix, KeptBytes::Unreserved()));
      if (!marker.empty()) {
        absl::StrAppend(
            &url, "&marker=", PercentEncode(marker, KeptBytes::Unreserved()));
      }
      absl::StatusOr<HttpResponse> r = Send("GET", url, {}, nullptr, "list");
      if (!r.ok()) return r.status();
      if (r->status == 400 && name_marker) {
        name_markers_.store(false);
        marker.clear();
        name_marker = false;
        continue;
      }
      if (r->status != 200) {
        return azblob::AzureBlobError("scan", level_key, *r, false);
      }
      absl::StatusOr<objstore::LevelPage> page =
          ParseLevel(level_key, prefix, r->body);
      if (!page.ok()) return page.status();
      if (!after_name.empty() && !name_marker) {
        std::erase_if(page->entries, [&](const objstore::LevelEntry& e) {
          return absl::StrCat(prefix, e.segment, e.is_dir ? "/" : "") <=
                 after_name;
        });
        // Everything on this page came before `after`: read on.
        if (page->entries.empty() && !page->continuation.empty()) {
          marker = std::move(page->continuation);
          continue;
        }
      }
      return page;
    }
  }

  absl::StatusOr<objstore::LevelPage> ParseLevel(const std::string& level_key,
                                                 const std::string& prefix,
                                                 const std::string& body) {
    absl::StatusOr<objstore::XmlDocument> doc =
        objstore::XmlDocument::Parse(body);
    if (!doc.ok()) {
      return azblob::MalformedAnswer("scan", level_key, doc.status());
    }
    std::vector<std::string> names = doc->Texts({"Blobs", "Blob", "Name"});
    std::vector<std::string> etags =
        doc->Texts({"Blobs", "Blob", "Properties", "Etag"});
    std::vector<std::string> sizes =
        doc->Texts({"Blobs", "Blob", "Properties", "Content-Length"});
    std::vector<std::string> times =
        doc->Texts({"Blobs", "Blob", "Properties", "Last-Modified"});
    if (etags.size() != names.size() || sizes.size() != names.size() ||
        times.size() != names.size()) {
      return azblob::MalformedAnswer(
          "scan", level_key,
          absl::InternalError(
              "a blob without Etag, Content-Length or Last-Modified"));
    }
    auto segment_of =
        [&](const std::string& name) -> absl::StatusOr<std::string> {
      if (!absl::StartsWith(name, prefix)) {
        return azblob::MalformedAnswer(
            "scan", level_key,
            absl::InternalError("a name outside the listed prefix"));
      }
      return name.substr(prefix.size());
    };
    std::vector<objstore::LevelEntry> objects;
    for (std::size_t i = 0; i < names.size(); ++i) {
      absl::StatusOr<std::string> segment = segment_of(names[i]);
      if (!segment.ok()) return segment.status();
      objstore::LevelEntry e;
      e.segment = *std::move(segment);
      e.meta.etag = objstore::UnquoteEtag(etags[i]);
      e.meta.mtime = objstore::ParseHttpOrIsoTime(times[i]);
      if (!absl::SimpleAtoi(sizes[i], &e.meta.size)) {
        return azblob::MalformedAnswer(
            "scan", level_key,
            absl::InternalError("a Content-Length that is no number"));
      }
      objects.push_back(std::move(e));
    }
    std::vector<objstore::LevelEntry> dirs;
    for (const std::string& name :
         doc->Texts({"Blobs", "BlobPrefix", "Name"})) {
      absl::StatusOr<std::string> segment = segment_of(name);
      if (!segment.ok()) return segment.status();
      objstore::LevelEntry e;
      e.segment = *std::move(segment);
      if (!e.segment.empty() && e.segment.back() == '/') e.segment.pop_back();
      e.is_dir = true;
      dirs.push_back(std::move(e));
    }
    objstore::LevelPage page;
    page.entries = objstore::MergeByName(std::move(objects), std::move(dirs));
    page.continuation = doc->Text({"NextMarker"});
    return page;
  }

  const AzureBlobOptions options_;
  const objstore::AzureCredentials creds_;
  // False once the service refused a blob name as a list marker.
  std::atomic<bool> name_markers_{true};
  transport::HttpTransport http_;
  const objstore::ObjectNames names_;
};

}  // namespace

absl::StatusOr<AzureBlobOptions> AzureBlobOptions::FromUri(
    std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("azblob URI ", QuoteForMessage(text), ": ", ToAbsl(why)));
  };
  if (uri->scheme != "azblob") return bad("scheme must be azblob");
  for (const auto& [name, value] : uri->query) {
    static const auto* known = new std::set<std::string>{
        "endpoint",       "key", "sas", "create_container", "conflict_retries",
        "max_value_bytes"};
    if (known->count(name) == 0 && !objstore::IsSasParameter(name)) {
      return bad(absl::StrCat("unknown parameter ", name));
    }
  }
  AzureBlobOptions o;
  absl::StatusOr<objstore::AzureCredentials> creds =
      objstore::AzureCredentialsFromUri(*uri);
  if (!creds.ok()) return creds.status();
  o.account = creds->account;
  o.key = creds->key;
  o.sas = creds->sas;
  std::string path(absl::StripSuffix(absl::StripPrefix(uri->path, "/"), "/"));
  std::size_t slash = path.find('/');
  o.container = path.substr(0, slash);
  if (slash != std::string::npos) o.prefix = path.substr(slash + 1);
  if (o.container.empty())
    return bad("no container (azblob://account/container/prefix)");
  if (absl::StrContains(o.prefix, "//"))
    return bad("empty segment in the prefix");
  o.endpoint = uri->Param("endpoint");
  absl::StatusOr<bool> create =
      objstore::BoolParam(*uri, "create_container", false);
  if (!create.ok()) return create.status();
  o.create_container = *create;
  if (absl::Status s = objstore::ParseWriteParams(
          *uri, bad, &o.conflict_retries, &o.max_value_bytes);
      !s.ok()) {
    return s;
  }
  return o;
}

absl::StatusOr<std::unique_ptr<Driver>> CreateAzureBlobStore(
    AzureBlobOptions options) {
  if (options.account.empty() || options.container.empty()) {
    return absl::InvalidArgumentError(
        "azure blob: account and container are required");
  }
  if (options.max_value_bytes > kPutBlobLimit) {
    return absl::InvalidArgumentError(
        "azure blob: max_value_bytes over Put Blob's 5000 MiB");
  }
  objstore::AzureCredentials creds{options.account, options.key, options.sas};
  if (absl::Status s = objstore::CheckAzureCredentials("azure blob", &creds);
      !s.ok()) {
    return s;
  }
  bool create = options.create_container;
  auto store =
      std::make_unique<AzureBlobStore>(std::move(options), std::move(creds));
  if (create) {
    if (absl::Status s = store->CreateContainer(); !s.ok()) return s;
  }
  return std::unique_ptr<Driver>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenAzureBlobStoreUri(
    std::string_view uri) {
  absl::StatusOr<AzureBlobOptions> options = AzureBlobOptions::FromUri(uri);
  if (!options.ok()) return options.status();
  return CreateAzureBlobStore(*std::move(options));
}

}  // namespace cask
