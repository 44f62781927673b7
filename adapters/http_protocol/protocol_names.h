// The names of cask's HTTP protocol (docs/protocol.md): routes, headers and
// feature tokens, shared by `cask serve` and the http adapter so that the
// two sides cannot drift apart.
//
// Thread safety: constants.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_PROTOCOL_NAMES_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_PROTOCOL_NAMES_H_

#include <string_view>

namespace cask::http_protocol {

// Routes outside the key space.
inline constexpr std::string_view kCommitPath = "/_cask/commit";
inline constexpr std::string_view kChangesPath = "/_cask/changes";

// Capability headers, on every response of `cask serve`.
inline constexpr std::string_view kCasHeader = "X-Cask-CAS";
inline constexpr std::string_view kFeaturesHeader = "X-Cask-Features";
inline constexpr std::string_view kMaxValueHeader = "X-Cask-Max-Value";

// Metadata headers of GET / HEAD of a key.
inline constexpr std::string_view kMtimeHeader = "X-Cask-Mtime";
inline constexpr std::string_view kSizeHeader = "X-Cask-Size";
inline constexpr std::string_view kRevisionHeader = "X-Cask-Revision";
inline constexpr std::string_view kExpiresHeader = "X-Cask-Expires";
inline constexpr std::string_view kTtlHeader = "X-TTL";
// On a 412: the key's current etag (quoted), absent when the key is.
inline constexpr std::string_view kCurrentEtagHeader = "X-Cask-Current-ETag";

// Tokens of X-Cask-Features.
inline constexpr std::string_view kFeatureCas = "cas";
inline constexpr std::string_view kFeatureCommit = "commit";
inline constexpr std::string_view kFeatureTtl = "ttl";
inline constexpr std::string_view kFeatureChanges = "changes";
// The server understands the paged listing's query parameters below (the
// store behind it may still answer 501 when it cannot scan).
inline constexpr std::string_view kFeatureScan = "scan";

// Query parameters of the paged listing (`GET /base/?...`). Without any of
// them a listing is unstorage's plain one.
inline constexpr std::string_view kListLimitParam = "limit";
inline constexpr std::string_view kListAfterParam = "after";
inline constexpr std::string_view kListMetaParam = "meta";
inline constexpr std::string_view kListValuesParam = "values";

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_PROTOCOL_NAMES_H_
