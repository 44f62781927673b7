// How the etcd adapter encodes what it stores in etcd and decodes etcd's
// JSON gateway replies; shared by the store and its change feed so both
// read one format. Internal to adapters/etcd. Pure functions, thread-safe.
#ifndef CASK_ADAPTERS_ETCD_ETCD_CODEC_H_
#define CASK_ADAPTERS_ETCD_ETCD_CODEC_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace cask::etcd_internal {

// A reply this adapter cannot understand. Thrown by the decoders below and
// turned into a status at the edge of the store or the feed.
struct BadReply : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Base64 as the gateway carries keys and values.
std::string B64(std::string_view bytes);
// Throws BadReply when `j` is not a base64 string.
std::string UnB64(const nlohmann::json& j);

// A numeric field of a gateway reply: numbers come as strings, and a zero
// is omitted (so a missing field is 0). Throws BadReply on anything else.
std::int64_t ReplyInt(const nlohmann::json& j, const char* field);

// The smallest etcd key greater than every key starting with `prefix`
// ("\0" when there is none: etcd's "every key from the start key on").
std::string PrefixEnd(std::string prefix);

// What the adapter keeps in front of every value it writes.
struct ValueHeader {
  absl::Time mtime;
  std::optional<absl::Time> expires;
};
inline constexpr std::size_t kValueHeaderSize = 17;

// `value` behind its header: format byte, mtime ms, expiry ms (0 = none),
// big-endian.
std::string EncodeValue(std::string_view value, const ValueHeader& header);

// The header of a stored value, and the value after it; nullopt for bytes
// this adapter did not write.
struct DecodedValue {
  ValueHeader header;
  std::string_view value;  // points into the decoded bytes
};
std::optional<DecodedValue> DecodeValue(std::string_view raw);

}  // namespace cask::etcd_internal

#endif  // CASK_ADAPTERS_ETCD_ETCD_CODEC_H_
