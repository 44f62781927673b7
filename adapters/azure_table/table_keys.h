// How cask keys become Azure Table RowKeys (see azure_table_store.h).
// Pure functions; tests/azure/table_keys_test.cc pins them.
#ifndef CASK_ADAPTERS_AZURE_TABLE_TABLE_KEYS_H_
#define CASK_ADAPTERS_AZURE_TABLE_TABLE_KEYS_H_

#include <string>
#include <string_view>

namespace cask::aztable {

// Azure's RowKey limit, in characters (Azurite enforces 512).
inline constexpr std::size_t kMaxRowKey = 512;
// A hashed RowKey keeps this many characters of the escaped key.
inline constexpr std::size_t kHashedKeep = 440;

// Printable ASCII other than / \ # ? % ~ ' stays; every other byte becomes
// "%XX" (upper-case hex). Escaping is per byte and prefix-free, so
// EscapeKey(a) is a prefix of EscapeKey(b) whenever a is a prefix of b.
std::string EscapeKey(std::string_view key);

// The RowKey of `key`: EscapeKey(key) when it fits kMaxRowKey, else its
// first kHashedKeep characters + "~" + hex SHA-256 of `key`.
std::string RowKeyFor(std::string_view key);

// [lower, upper): the RowKey range holding every key under `base`
// (normalised, non-empty). The range may also hold keys that are not under
// `base` when it was cut to kHashedKeep; callers filter by the real key.
void RowKeyRange(std::string_view base, std::string* lower, std::string* upper);

// An OData string literal: 'text' with single quotes doubled.
std::string ODataString(std::string_view text);

}  // namespace cask::aztable

#endif  // CASK_ADAPTERS_AZURE_TABLE_TABLE_KEYS_H_
