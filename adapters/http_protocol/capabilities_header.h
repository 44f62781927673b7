// What a server advertises on every response: `X-Cask-CAS: 1|0`,
// `X-Cask-Features: cas, commit, ttl, changes, scan` (a subset) and
// `X-Cask-Max-Value: <bytes>`. A client refuses to send a precondition to
// a server that does not say `X-Cask-CAS: 1`.
//
// Thread safety: plain values and pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_CAPABILITIES_HEADER_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_CAPABILITIES_HEADER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cask/driver.h"

namespace cask::http_protocol {

struct Advertised {
  bool cas = false;
  bool commit = false;
  bool ttl = false;
  bool changes = false;
  // The paged listing (`GET /base/?limit=&after=&meta=&values=`).
  bool scan = false;
  // Largest value the server accepts, in bytes; 0: not advertised.
  std::uint64_t max_value = 0;

  bool operator==(const Advertised&) const = default;
};

// What a server in front of a store with `caps` advertises; the largest
// value is the smaller of `max_body_bytes` and caps.max_value_bytes.
Advertised AdvertisedFor(const Capabilities& caps,
                         std::uint64_t max_body_bytes);

// The three header values for `a`.
std::string CasHeaderValue(const Advertised& a);       // "1" or "0"
std::string FeaturesHeaderValue(const Advertised& a);  // "cas, commit"
std::string MaxValueHeaderValue(const Advertised& a);  // "67108864"

// Reads the headers back (nullopt: absent). Unknown feature tokens are
// ignored; a missing or malformed max value reads as 0.
Advertised ParseAdvertised(std::optional<std::string_view> cas,
                           std::optional<std::string_view> features,
                           std::optional<std::string_view> max_value);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_CAPABILITIES_HEADER_H_
