#include "capabilities_header.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cask/string_view_compat.h"
#include "protocol_names.h"

namespace cask::http_protocol {

Advertised AdvertisedFor(const Capabilities& caps,
                         std::uint64_t max_body_bytes) {
  Advertised a;
  a.cas = caps.cas;
  a.commit = caps.atomic_batch;
  a.ttl = caps.ttl;
  a.changes = caps.watch;
  // The server's own feature: a store that cannot scan answers the paged
  // listing with 501.
  a.scan = true;
  a.max_value = max_body_bytes;
  if (caps.max_value_bytes != 0) {
    a.max_value = std::min<std::uint64_t>(a.max_value, caps.max_value_bytes);
  }
  return a;
}

std::string CasHeaderValue(const Advertised& a) { return a.cas ? "1" : "0"; }

std::string FeaturesHeaderValue(const Advertised& a) {
  std::vector<absl::string_view> features;
  if (a.cas) features.push_back(ToAbsl(kFeatureCas));
  if (a.commit) features.push_back(ToAbsl(kFeatureCommit));
  if (a.ttl) features.push_back(ToAbsl(kFeatureTtl));
  if (a.changes) features.push_back(ToAbsl(kFeatureChanges));
  if (a.scan) features.push_back(ToAbsl(kFeatureScan));
  return absl::StrJoin(features, ", ");
}

std::string MaxValueHeaderValue(const Advertised& a) {
  return absl::StrCat(a.max_value);
}

Advertised ParseAdvertised(std::optional<std::string_view> cas,
                           std::optional<std::string_view> features,
                           std::optional<std::string_view> max_value) {
  Advertised a;
  a.cas = cas && absl::StripAsciiWhitespace(ToAbsl(*cas)) == "1";
  if (features) {
    for (absl::string_view f : absl::StrSplit(ToAbsl(*features), ',')) {
      f = absl::StripAsciiWhitespace(f);
      if (f == ToAbsl(kFeatureCommit)) a.commit = true;
      if (f == ToAbsl(kFeatureTtl)) a.ttl = true;
      if (f == ToAbsl(kFeatureChanges)) a.changes = true;
      if (f == ToAbsl(kFeatureScan)) a.scan = true;
    }
  }
  std::uint64_t bytes = 0;
  if (max_value && absl::SimpleAtoi(ToAbsl(*max_value), &bytes)) {
    a.max_value = bytes;
  }
  return a;
}

}  // namespace cask::http_protocol
