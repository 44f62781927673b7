#include "table_keys.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "percent_encoding.h"

namespace cask::aztable {

std::string EscapeKey(std::string_view key) {
  // Printable ASCII except the characters Azure forbids in a RowKey, '%'
  // (the escape) and '~' (RowKeyFor's hash separator).
  static const KeptBytes kRowKeyBytes =
      KeptBytes::PrintableAscii().Without("/\\#?%~'");
  return PercentEncode(key, kRowKeyBytes);
}

std::string RowKeyFor(std::string_view key) {
  std::string escaped = EscapeKey(key);
  if (escaped.size() <= kMaxRowKey) return escaped;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out = escaped.substr(0, kHashedKeep);
  out.push_back('~');
  for (unsigned int i = 0; i < len; ++i)
    absl::StrAppendFormat(&out, "%02x", digest[i]);
  return out;
}

void RowKeyRange(std::string_view base, std::string* lower,
                 std::string* upper) {
  std::string prefix = EscapeKey(base) + ":";
  if (prefix.size() > kHashedKeep) prefix.resize(kHashedKeep);
  *lower = prefix;
  // Every RowKey character is printable ASCII (< 0x7F), so bumping the last
  // one gives the first string after all strings with this prefix.
  *upper = prefix;
  upper->back() = static_cast<char>(upper->back() + 1);
}

std::string ODataString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace cask::aztable
