// The one percent-encoder (RFC 3986 §2.1) of every adapter, and its
// decoder. Each caller says which bytes it keeps as they are; every other
// byte becomes %XX (upper-case hex), so one decoding gives the text back.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_URI_PERCENT_ENCODING_H_
#define CASK_ENGINE_URI_PERCENT_ENCODING_H_

#include <bitset>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cask {

// The set of bytes an encoding leaves as they are.
class KeptBytes {
 public:
  // RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
  static KeptBytes Unreserved();
  // Printable ASCII (0x20 .. 0x7E).
  static KeptBytes PrintableAscii();

  // This set with `bytes` added / removed.
  KeptBytes With(std::string_view bytes) const;
  KeptBytes Without(std::string_view bytes) const;

  bool Keeps(unsigned char c) const { return kept_[c]; }

 private:
  std::bitset<256> kept_;
};

// `text` with every byte outside `kept` written as %XX.
std::string PercentEncode(std::string_view text, const KeptBytes& kept);

// Decodes %XX escapes (and nothing else). kInvalidArgument on a bad escape.
absl::StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace cask

#endif  // CASK_ENGINE_URI_PERCENT_ENCODING_H_
