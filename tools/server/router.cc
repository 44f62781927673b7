#include "router.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "capabilities_header.h"
#include "cask/key.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "error_body.h"
#include "etag_header.h"
#include "feed_json.h"
#include "json_codec.h"
#include "listing.h"
#include "meta_headers.h"
#include "protocol_names.h"
#include "status_mapping.h"
#include "sync_routes.h"
#include "wire.h"

namespace cask::server {
namespace {

using http_protocol::HttpStatusFor;
using http_protocol::QuoteEtag;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kOctets = "application/octet-stream";
// Events read per store call while skipping those outside a feed's prefix.
constexpr int kMaxFeedScans = 16;
// The largest value a feed event carries (the `values` query is capped):
// bounds a feed answer's size by `limit` of these.
constexpr std::uint64_t kMaxFeedValueBytes = 1 << 20;

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

ApiResponse Ok() {
  ApiResponse r;
  r.body = "OK";
  r.content_type = kText;
  return r;
}

// x-ttl: seconds, decimals allowed ("1.5"); absent, empty or 0: no ttl.
absl::StatusOr<absl::Duration> ParseTtl(const ApiRequest& req) {
  std::optional<std::string> header = req.header(http_protocol::kTtlHeader);
  if (!header) return absl::ZeroDuration();
  std::string text(absl::StripAsciiWhitespace(*header));
  if (text.empty()) return absl::ZeroDuration();
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds >= 0) || seconds > 1e10) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed X-TTL header \"", text,
                     "\": expected a non-negative number of seconds"));
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<Precondition> Preconditions(const ApiRequest& req) {
  std::optional<std::string> im = req.header("If-Match");
  std::optional<std::string> inm = req.header("If-None-Match");
  std::optional<std::string_view> im_view, inm_view;
  if (im) im_view = *im;
  if (inm) inm_view = *inm;
  return http_protocol::ParsePreconditionHeaders(im_view, inm_view);
}

absl::StatusOr<std::uint64_t> UintParam(
    const std::map<std::string, std::string>& query, const char* name,
    std::uint64_t fallback) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  std::uint64_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter \"", name, "\" must be an unsigned integer"));
  }
  return v;
}

bool UnderPrefix(const ChangeEvent& e, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (e.kind == ChangeKind::kClear) {
    // A clear of a base that contains, or lies under, the prefix.
    return e.key.empty() || e.key == prefix || IsUnderBase(e.key, prefix) ||
           IsUnderBase(prefix, e.key);
  }
  return IsUnderBase(e.key, prefix);
}

}  // namespace

Router::Router(std::shared_ptr<Driver> store, const ServerOptions& options)
    : store_(std::move(store)), options_(options) {
  http_protocol::Advertised a = http_protocol::AdvertisedFor(
      store_->capabilities(), options_.max_body_bytes);
  cas_header_ = http_protocol::CasHeaderValue(a);
  features_header_ = http_protocol::FeaturesHeaderValue(a);
  max_value_header_ = http_protocol::MaxValueHeaderValue(a);
}

void Router::AddCapabilityHeaders(ApiResponse& response) const {
  response.headers.emplace_back(http_protocol::kCasHeader, cas_header_);
  response.headers.emplace_back(http_protocol::kFeaturesHeader,
                                features_header_);
  response.headers.emplace_back(http_protocol::kMaxValueHeader,
                                max_value_header_);
}

ApiResponse Router::Fail(const absl::Status& status, int http_status) const {
  if (http_status == 0) http_status = HttpStatusFor(status);
  ApiResponse r;
  r.status = http_status;
  if (status.code() == absl::StatusCode::kAborted) {
    if (std::optional<std::string> current = CurrentEtag(status)) {
      r.headers.emplace_back(http_protocol::kCurrentEtagHeader,
                             QuoteEtag(*current));
    }
  }
  r.body = http_protocol::ErrorBody(status, http_status);
  r.content_type = kJson;
  return r;
}

ApiResponse Router::Error(const absl::Status& status, int http_status) const {
  ApiResponse r = Fail(status, http_status);
  AddCapabilityHeaders(r);
  return r;
}

RouteResult Router::Handle(const ApiRequest& request) {
  RouteResult result;
  try {
    if (std::optional<ApiResponse> denied = Authenticate(request)) {
      result.response = *std::move(denied);
    } else if (request.method == "POST") {
      result = Post(request);
    } else {
      result.response = Dispatch(request);
    }
  } catch (const std::exception& e) {
    result = RouteResult();
    result.response =
        Fail(absl::InternalError(absl::StrCat("internal error: ", e.what())));
  }
  if (!result.poll) AddCapabilityHeaders(result.response);
  return result;
}

std::optional<ApiResponse> Router::Authenticate(const ApiRequest& req) const {
  if (options_.token.empty()) return std::nullopt;
  std::string auth = req.header("Authorization").value_or("");
  if (auth.empty()) {
    ApiResponse r = Fail(absl::UnauthenticatedError(
        "this server needs \"Authorization: Bearer <token>\""));
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cask\"");
    return r;
  }
  constexpr std::string_view kBearer = "Bearer ";
  bool ok =
      auth.size() > kBearer.size() &&
      absl::EqualsIgnoreCase(auth.substr(0, kBearer.size()), ToAbsl(kBearer)) &&
      ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()),
                         options_.token);
  if (!ok) return Fail(absl::PermissionDeniedError("wrong bearer token"));
  return std::nullopt;
}

ApiResponse Router::Dispatch(const ApiRequest& req) {
  std::string_view m = req.method;
  if (m == "GET" || m == "HEAD") return Get(req, m == "HEAD");
  if (m == "PUT") return Put(req);
  if (m == "DELETE") return Delete(req);
  ApiResponse r = Fail(absl::InvalidArgumentError(
                           absl::StrCat("Method Not Allowed: ", ToAbsl(m))),
                       405);
  r.headers.emplace_back("Allow", "GET, HEAD, PUT, DELETE, POST");
  return r;
}

ApiResponse Router::Get(const ApiRequest& req, bool head) {
  absl::StatusOr<RequestPath> path =
      ParseRequestPath(req.target, options_.max_key_bytes);
  if (!path.ok()) return Fail(path.status());
  if (path->is_base) {
    ApiResponse r;
    if (head) return r;  // A probe: the capability headers, nothing else.
    absl::StatusOr<ApiResponse> listing =
        ListingAnswer(store_, path->key, req.target);
    if (!listing.ok()) return Fail(listing.status());
    return *std::move(listing);
  }
  absl::StatusOr<Precondition> p = Preconditions(req);
  if (!p.ok()) return Fail(p.status());
  Item item;
  if (head) {
    absl::StatusOr<Meta> meta = store_->GetMeta(path->key);
    if (!meta.ok()) return Fail(meta.status());
    item.meta = *std::move(meta);
  } else {
    absl::StatusOr<Item> got = store_->Get(path->key);
    if (!got.ok()) return Fail(got.status());
    item = *std::move(got);
  }
  // RFC 9110 §13.2.2: If-Match first (412 when it fails), then
  // If-None-Match, which on GET / HEAD answers 304 when a tag matches.
  if (p->if_match) {
    Precondition only_match;
    only_match.if_match = p->if_match;
    if (!PreconditionHolds(only_match, item.meta.etag)) {
      return Fail(CasMismatchError(path->key, item.meta.etag));
    }
  }
  ApiResponse r;
  for (auto& [name, value] : http_protocol::MetaHeaders(item.meta, absl::Now()))
    r.headers.emplace_back(name, std::move(value));
  if (p->if_none_match) {
    Precondition only_none;
    only_none.if_none_match = p->if_none_match;
    if (!PreconditionHolds(only_none, item.meta.etag)) {
      r.status = 304;
      return r;
    }
  }
  if (head) {
    r.head_length = item.meta.size;
    return r;
  }
  std::optional<std::string> accept = req.header("Accept");
  bool raw = accept && absl::StripAsciiWhitespace(*accept) == ToAbsl(kOctets);
  r.body = std::move(item.value);
  r.content_type = raw ? kOctets : kText;
  return r;
}

ApiResponse Router::Put(const ApiRequest& req) {
  absl::StatusOr<RequestPath> path =
      ParseRequestPath(req.target, options_.max_key_bytes);
  if (!path.ok()) return Fail(path.status());
  if (path->is_base && path->key.empty()) {
    return Fail(absl::InvalidArgumentError("PUT needs a key"));
  }
  absl::StatusOr<Precondition> p = Preconditions(req);
  if (!p.ok()) return Fail(p.status());
  absl::StatusOr<absl::Duration> ttl = ParseTtl(req);
  if (!ttl.ok()) return Fail(ttl.status());
  WriteOptions options;
  options.precondition = *std::move(p);
  options.ttl = *ttl;
  absl::StatusOr<std::string> etag = store_->Set(path->key, req.body, options);
  if (!etag.ok()) return Fail(etag.status());
  ApiResponse r = Ok();
  r.headers.emplace_back("ETag", QuoteEtag(*etag));
  return r;
}

ApiResponse Router::Delete(const ApiRequest& req) {
  absl::StatusOr<RequestPath> path =
      ParseRequestPath(req.target, options_.max_key_bytes);
  if (!path.ok()) return Fail(path.status());
  absl::StatusOr<Precondition> p = Preconditions(req);
  if (!p.ok()) return Fail(p.status());
  if (path->is_base) {
    if (!p->empty()) {
      return Fail(absl::InvalidArgumentError(
          "a clear (DELETE of a base) cannot carry If-Match / If-None-Match"));
    }
    if (absl::Status s = store_->Clear(path->key); !s.ok()) return Fail(s);
    return Ok();
  }
  if (absl::Status s = store_->Remove(path->key, *p); !s.ok()) {
    return Fail(s);
  }
  return Ok();
}

RouteResult Router::Post(const ApiRequest& req) {
  absl::StatusOr<std::string_view> origin = OriginFormPath(req.target);
  RouteResult result;
  if (!origin.ok()) {
    result.response = Fail(origin.status());
    return result;
  }
  std::string_view path = origin->substr(0, origin->find_first_of("?#"));
  if (path == http_protocol::kCommitPath) {
    result.response = Commit(req);
    return result;
  }
  if (path == http_protocol::kChangesPath) return Changes(req);
  if (path == kSyncConflictsPath || path == kSyncResolvePath) {
    result.response = SyncRoute(req, path == kSyncResolvePath);
    return result;
  }
  result.response = Fail(
      absl::InvalidArgumentError(absl::StrCat(
          "Method Not Allowed: POST (only ", ToAbsl(http_protocol::kCommitPath),
          ", ", ToAbsl(http_protocol::kChangesPath), ", ",
          ToAbsl(kSyncConflictsPath), " and ", ToAbsl(kSyncResolvePath), ")")),
      405);
  result.response.headers.emplace_back("Allow", "GET, HEAD, PUT, DELETE");
  return result;
}

ApiResponse Router::SyncRoute(const ApiRequest& req, bool resolve) {
  absl::StatusOr<std::string> answer;
  if (resolve) {
    answer = ResolveSyncConflictJson(*store_, req.body);
  } else {
    absl::StatusOr<std::string_view> origin = OriginFormPath(req.target);
    absl::StatusOr<std::map<std::string, std::string>> query =
        origin.ok() ? ParseQuery(*origin)
                    : absl::StatusOr<std::map<std::string, std::string>>(
                          origin.status());
    if (!query.ok()) return Fail(query.status());
    auto peer = query->find("peer");
    answer = SyncConflictsJson(
        *store_, peer == query->end() ? std::string_view() : peer->second);
  }
  if (!answer.ok()) return Fail(answer.status());
  ApiResponse r;
  r.body = *std::move(answer);
  r.content_type = kJson;
  return r;
}

ApiResponse Router::Commit(const ApiRequest& req) {
  absl::StatusOr<Batch> batch = ParseBatch(req.body);
  if (!batch.ok()) return Fail(batch.status());
  absl::StatusOr<CommitResult> result = store_->Commit(*batch);
  if (!result.ok()) return Fail(result.status());
  ApiResponse r;
  r.body = CommitAnswerJson(*result);
  r.content_type = kJson;
  return r;
}

RouteResult Router::Changes(const ApiRequest& req) {
  RouteResult result;
  absl::StatusOr<std::string_view> origin = OriginFormPath(req.target);
  absl::StatusOr<std::map<std::string, std::string>> query =
      origin.ok()
          ? ParseQuery(*origin)
          : absl::StatusOr<std::map<std::string, std::string>>(origin.status());
  if (!query.ok()) {
    result.response = Fail(query.status());
    return result;
  }
  LongPoll poll;
  absl::StatusOr<std::uint64_t> after = UintParam(*query, "after", 0);
  absl::StatusOr<std::uint64_t> limit = UintParam(*query, "limit", 1000);
  absl::StatusOr<std::uint64_t> wait = UintParam(*query, "wait", 0);
  absl::StatusOr<std::uint64_t> values = UintParam(*query, "values", 0);
  for (const auto* v : {&after, &limit, &wait, &values}) {
    if (!v->ok()) {
      result.response = Fail(v->status());
      return result;
    }
  }
  if (auto it = query->find("prefix"); it != query->end()) {
    absl::StatusOr<std::string> base = NormalizeBase(it->second);
    if (!base.ok()) {
      result.response = Fail(base.status());
      return result;
    }
    poll.prefix = *std::move(base);
  }
  poll.after = *after;
  poll.values_up_to = std::min<std::uint64_t>(*values, kMaxFeedValueBytes);
  poll.limit = (*limit == 0 || *limit > 100000) ? 100000 : *limit;
  poll.wait_ms = std::min<std::uint64_t>(
      *wait, static_cast<std::uint64_t>(std::max(0, options_.max_wait_ms)));
  return ReadFeed(poll, poll.wait_ms == 0);
}

RouteResult Router::Poll(const LongPoll& poll, bool final) {
  RouteResult result = ReadFeed(poll, final);
  if (!result.poll) AddCapabilityHeaders(result.response);
  return result;
}

void Router::AttachValues(std::uint64_t up_to, http_protocol::Feed& feed) {
  // The log keeps no values: read each key's current one and attach it
  // only to the event that wrote it (a later event carries a newer one).
  // A key written again meanwhile, or too large, stays for the client to
  // GET.
  for (ChangeEvent& e : feed.events) {
    if (e.kind != ChangeKind::kPut || e.size > up_to) continue;
    absl::StatusOr<Item> item = store_->Get(e.key);
    if (item.ok() && item->meta.etag == e.etag)
      e.value = std::move(item->value);
  }
}

RouteResult Router::ReadFeed(const LongPoll& poll, bool final) {
  RouteResult result;
  http_protocol::Feed feed;
  feed.last_revision = poll.after;
  std::uint64_t after = poll.after;
  try {
    // Events outside the prefix are skipped, but the answer's
    // last_revision moves past them so the client never reads them again.
    for (int scan = 0; scan < kMaxFeedScans; ++scan) {
      absl::StatusOr<std::vector<ChangeEvent>> events =
          store_->Changes(after, poll.limit);
      if (!events.ok()) {
        result.response = Fail(events.status());
        return result;
      }
      for (ChangeEvent& e : *events) {
        after = std::max(after, e.revision);
        if (UnderPrefix(e, poll.prefix) && feed.events.size() < poll.limit) {
          feed.events.push_back(std::move(e));
        }
      }
      feed.last_revision = after;
      if (!feed.events.empty() || events->size() < poll.limit) break;
    }
  } catch (const std::exception& e) {
    result.response =
        Fail(absl::InternalError(absl::StrCat("internal error: ", e.what())));
    return result;
  }
  if (feed.events.empty() && !final) {
    LongPoll next = poll;
    next.after = after;
    result.poll = std::move(next);
    return result;
  }
  if (poll.values_up_to > 0) AttachValues(poll.values_up_to, feed);
  result.response.body = http_protocol::FeedJson(feed);
  result.response.content_type = kJson;
  return result;
}

}  // namespace cask::server
