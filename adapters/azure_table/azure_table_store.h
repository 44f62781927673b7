// azure_table: a store kept in one partition of an Azure Table (or
// Azurite), over the REST API (JSON) through libcurl, authorised with
// Shared Key (objectstore_common/azure_shared_key.h) or a SAS token.
//
// Layout: a store is (account, table, partition). Each key is one entity
// with PartitionKey = the store's partition and RowKey derived from the key
// (table_keys.h): bytes Azure forbids or mangles in keys ('/', '\\', '#',
// '?', control characters, non-ASCII) and the escape characters '%', '~'
// and '\'' become "%XX"; a RowKey that would exceed Azure's 512-character
// limit keeps its first 440 characters and ends in "~" + the SHA-256 of
// the key (a short RowKey never contains '~', so the two cannot collide).
// The key itself is kept in the binary property Key, the value in binary
// properties V0, V1, ... of 64 KiB each (Azure's property limit), and its
// length in Size. Scan (and Keys, which pages through it) is one range
// query on RowKey in the partition per page, keeping the `limit` smallest
// keys past start_after: escapes and hashed RowKeys do not sort like the
// keys ("%7E" for '~' sorts before "a"), so no RowKey range holds exactly
// the next keys. O(keys under the base) per page, O(limit) memory; etags
// from the listing (minimal metadata), values by one entity read each.
//
// Etags: the entity's own ETag, W/"datetime'<timestamp>'", carried without
// the W/ and quotes (datetime'2024-01-01T00%3A00%3A00.1234567Z'). The
// service changes it on every write, also for the same content. It is the
// write time at 100 ns (Azurite: at 1 ms plus 4 digits of a high-resolution
// clock): cask adds no store identity, so uniqueness across stores and
// after delete-and-recreate rests on those timestamps never repeating.
//
// CAS: create-only = Insert Entity (409 EntityAlreadyExists is a mismatch);
// swap = Update Entity with If-Match (412 UpdateConditionNotSatisfied, and
// 404 on a missing entity, are a mismatch); if_match * = Update Entity with
// If-Match: *; conditional delete = Delete Entity with If-Match. Other
// shapes (if_none_match E, etag lists, weak tags, both sides) are emulated
// atomically: read the etag, evaluate with cask's shared evaluator, then
// Update pinned by If-Match "<etag>" or Insert when absent.
//
// Limits: values up to max_value_bytes, 720 KiB by default: Azure caps an
// entity at 1 MiB and Azurite measures that on the JSON request, where the
// value travels as base64; larger values are kResourceExhausted before
// anything is sent. Cannot: Commit (entity group transactions are not
// wired: kUnimplemented), TTL, watch. Clear deletes entity by entity.
//
// Cross-process: yes (the table is the only state). Thread-safe.
#ifndef CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_STORE_H_
#define CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

struct AzureTableOptions {
  std::string account;  // required
  std::string table;    // required: letters and digits, 3-63, letter first
  // PartitionKey of every entity of this store: printable ASCII without
  // / \ # ? or '; at most 256 characters.
  std::string partition = "cask";
  // Service URL including the account for path-style emulators, e.g.
  // "http://127.0.0.1:10002/devstoreaccount1". "" =
  // https://<account>.table.core.windows.net.
  std::string endpoint;
  // Account key (base64); FromUri defaults it to AZURE_STORAGE_KEY, and for
  // devstoreaccount1 to the emulator's published key.
  std::string key;
  // A SAS token ("sv=...&sig=...", URL-encoded) used instead of the key.
  std::string sas;
  // Create the table when the store is opened (OK if it exists).
  bool create_table = false;
  // Re-reads when an emulated precondition loses its pin, before
  // kUnavailable.
  int conflict_retries = 8;
  // Largest value, in bytes; 0 means 720 KiB (see the header comment). At
  // most 2 MiB; the service refuses entities over 1 MiB
  // (kResourceExhausted).
  std::uint64_t max_value_bytes = 0;
  // TCP connect timeout; zero means libcurl's default.
  absl::Duration connect_timeout = absl::Seconds(10);

  // aztable://account/table?endpoint=URL&partition=P&key=BASE64
  //   &sas=URL-ENCODED-TOKEN&create_table=0|1&conflict_retries=N
  //   &max_value_bytes=N
  // A SAS may also be given as its own parameters (sv=..&sig=..&...).
  // kInvalidArgument for a bad URI, table or partition name, or no
  // credentials.
  static absl::StatusOr<AzureTableOptions> FromUri(std::string_view uri);
};

// A client of the store. Contacts the service only when create_table is
// set (kUnavailable if it cannot be reached).
absl::StatusOr<std::unique_ptr<Driver>> CreateAzureTableStore(
    AzureTableOptions options);

// FromUri + CreateAzureTableStore; the "aztable" row of cask::OpenStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenAzureTableStoreUri(
    std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_AZURE_TABLE_AZURE_TABLE_STORE_H_
