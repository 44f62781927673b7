#include "listing.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cask/string_view_compat.h"
#include "json_codec.h"
#include "listing_json.h"
#include "nlohmann/json.hpp"
#include "protocol_names.h"
#include "wire.h"

namespace cask::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kNdjson = "application/x-ndjson";
// Entries read from the store per piece of the answer: a piece of keys is
// some tens of KiB; with values, fewer, as a value may be large.
constexpr std::size_t kKeysPerPiece = 1000;
constexpr std::size_t kEntriesWithValuesPerPiece = 64;

struct ListingRequest {
  // Any of limit, after, meta, values given: a page (cask's extension).
  bool paged = false;
  std::uint64_t limit = 0;  // 0: no limit
  std::string after;
  bool entries = false;  // meta or values: one JSON object per entry
  bool values = false;
};

absl::StatusOr<bool> FlagParam(const std::map<std::string, std::string>& query,
                               std::string_view name) {
  auto it = query.find(std::string(name));
  if (it == query.end()) return false;
  if (it->second == "1" || it->second == "true") return true;
  if (it->second == "0" || it->second == "false") return false;
  return absl::InvalidArgumentError(absl::StrCat(
      "query parameter \"", ToAbsl(name), "\" must be 1, true, 0 or false"));
}

absl::StatusOr<ListingRequest> ParseListingRequest(std::string_view target) {
  absl::StatusOr<std::string_view> origin = OriginFormPath(target);
  if (!origin.ok()) return origin.status();
  absl::StatusOr<std::map<std::string, std::string>> query =
      ParseQuery(*origin);
  if (!query.ok()) return query.status();
  ListingRequest r;
  auto limit = query->find(std::string(http_protocol::kListLimitParam));
  if (limit != query->end()) {
    if (!absl::SimpleAtoi(limit->second, &r.limit) || r.limit == 0) {
      return absl::InvalidArgumentError(
          "query parameter \"limit\" must be a positive integer");
    }
    r.paged = true;
  }
  auto after = query->find(std::string(http_protocol::kListAfterParam));
  if (after != query->end()) {
    r.after = after->second;
    r.paged = true;
  }
  absl::StatusOr<bool> meta = FlagParam(*query, http_protocol::kListMetaParam);
  if (!meta.ok()) return meta.status();
  absl::StatusOr<bool> values =
      FlagParam(*query, http_protocol::kListValuesParam);
  if (!values.ok()) return values.status();
  if (query->count(std::string(http_protocol::kListMetaParam)) ||
      query->count(std::string(http_protocol::kListValuesParam))) {
    r.paged = true;
  }
  r.values = *values;
  r.entries = *meta || *values;
  return r;
}

// A key of a JSON array listing: `/` separators, as unstorage shows keys.
void AppendListedKey(const std::string& key, bool& first, std::string& out) {
  out.append(first ? "[" : ",");
  first = false;
  out.append(Json(absl::StrReplaceAll(key, {{":", "/"}}))
                 .dump(-1, ' ', false, Json::error_handler_t::replace));
}

// Reads the store page by page and writes the answer piece by piece.
class ListingStream final : public BodyStream {
 public:
  ListingStream(std::shared_ptr<Driver> store, std::string base,
                ListingRequest request)
      : store_(std::move(store)),
        base_(std::move(base)),
        request_(std::move(request)),
        left_(request_.limit == 0 ? std::numeric_limits<std::uint64_t>::max()
                                  : request_.limit) {
    options_.start_after = request_.after;
    options_.with_values = request_.values;
  }

  absl::StatusOr<bool> Next(std::string& piece) override {
    piece.clear();
    // A page may hold nothing to show (only `key$` entries, or a store's
    // short page): read on rather than send an empty piece.
    while (piece.empty()) {
      absl::StatusOr<bool> more = ReadPage(piece);
      if (!more.ok() || !*more) return more;
    }
    return true;
  }

 private:
  // Appends one store page to `piece`; false once the answer is complete
  // (then `piece` ends it).
  absl::StatusOr<bool> ReadPage(std::string& piece) {
    std::size_t per_piece =
        request_.values ? kEntriesWithValuesPerPiece : kKeysPerPiece;
    options_.limit =
        static_cast<std::size_t>(std::min<std::uint64_t>(left_, per_piece));
    absl::StatusOr<ScanPage> page = store_->Scan(base_, options_);
    if (!page.ok()) return page.status();
    for (const ScanEntry& e : page->entries) {
      if (request_.entries) {
        http_protocol::AppendListingEntry(e, request_.values, piece);
        continue;
      }
      // unstorage hides its `key$` meta entries from its plain listing;
      // a page lists every key, so that its length tells whether it ended.
      if (!request_.paged && !e.key.empty() && e.key.back() == '$') continue;
      AppendListedKey(e.key, first_key_, piece);
    }
    left_ -= page->entries.size();
    options_.start_after = std::move(page->next_after);
    bool done = left_ == 0 || options_.start_after.empty();
    if (done && !request_.entries) piece.append(first_key_ ? "[]" : "]");
    return !done;
  }

  std::shared_ptr<Driver> store_;
  const std::string base_;
  const ListingRequest request_;
  ScanOptions options_;
  std::uint64_t left_;
  bool first_key_ = true;
};

}  // namespace

absl::StatusOr<ApiResponse> ListingAnswer(std::shared_ptr<Driver> store,
                                          const std::string& base,
                                          std::string_view target) {
  absl::StatusOr<ListingRequest> request = ParseListingRequest(target);
  if (!request.ok()) return request.status();
  ApiResponse r;
  r.content_type = request->entries ? kNdjson : kJson;
  auto stream = std::make_shared<ListingStream>(store, base, *request);
  absl::StatusOr<bool> more = stream->Next(r.body);
  if (more.status().code() == absl::StatusCode::kUnimplemented &&
      !request->paged) {
    // A store that cannot scan: the whole listing at once, as before.
    absl::StatusOr<std::vector<std::string>> keys = store->Keys(base);
    if (!keys.ok()) return keys.status();
    r.body = KeyListJson(*keys);
    return r;
  }
  if (!more.ok()) return more.status();
  if (*more) r.stream = std::move(stream);
  return r;
}

}  // namespace cask::server
