// azure_blob: a store kept in an Azure Blob Storage container (or Azurite),
// over the REST API through libcurl, authorised with Shared Key (HMAC-SHA256
// of the account key, objectstore_common/azure_shared_key.h) or a SAS token.
//
// Layout: key "a:b:c" is the block blob <prefix>/a/b/c in the container
// (':' becomes '/'; keys cannot contain '/', so the mapping is one-to-one).
// A store is (account, container, prefix).
//
// Etags: the blob's own ETag ("0x8D..."), unquoted. The service changes it
// on every write, also when the same bytes are written again, so
// same-content writes get a new etag. Etags are per blob version, issued
// by the service: cask does not prefix them, so uniqueness across stores
// and after delete-and-recreate is the service's (Azure: derived from the
// write time; Azurite: time times a random factor).
//
// CAS: native conditional headers: If-Match "E", If-None-Match "E" and
// If-None-Match * on Put Blob; If-Match "E" on Delete Blob. A failed
// condition is a CAS mismatch (kAborted): 412 ConditionNotMet, 409
// BlobAlreadyExists (Azure's answer to If-None-Match: * on an existing
// blob), and 404 BlobNotFound under If-Match. Every other shape (if_match
// *, both sides together, etag lists, weak tags, other conditional
// deletes) is emulated atomically: read the etag, evaluate with cask's
// shared evaluator, write pinned to it with If-Match "<etag>" /
// If-None-Match * (objectstore_common/conditional_write.h). Azurite was
// seen to create a missing blob under If-Match: *, to reject two condition
// headers and to ignore If-None-Match on Delete Blob, hence the emulation.
//
// Cannot: Commit (no multi-blob atomicity: kUnimplemented), TTL, watch.
// Values up to max_value_bytes (default 5000 MiB, Put Blob's limit in
// API 2019-12-12 and later) go in one Put Blob from the caller's memory.
// Clear deletes blob by blob (not atomic). Blob names are limited to 1024
// characters by Azure (prefix included).
//
// Scan (and Keys, which pages through it): List Blobs with delimiter '/',
// one level at a time, reordered into key order
// (objectstore_common/key_order_walk.h); metadata from the listing, values
// by one GET each. To resume after a key, the blob name is sent as the list
// marker (Azurite's markers are names); a service that refuses it (400) is
// listed from the level's start instead, skipping up to the key: still
// bounded memory, but O(level) requests to resume. Listing order is the
// service's: Azurite compares names as UTF-16, which differs from key order
// only between characters U+E000..U+FFFF and those above U+FFFF at the same
// position of two keys. A page is not a snapshot.
//
// Cross-process: yes (the container is the only state). Thread-safe.
#ifndef CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_STORE_H_
#define CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cask/driver.h"

namespace cask {

struct AzureBlobOptions {
  std::string account;    // required
  std::string container;  // required
  // Blob-name prefix of this store without leading or trailing '/';
  // "" = the whole container.
  std::string prefix;
  // Service URL including the account for path-style emulators, e.g.
  // "http://127.0.0.1:10000/devstoreaccount1". "" =
  // https://<account>.blob.core.windows.net.
  std::string endpoint;
  // Account key (base64). FromUri defaults it to AZURE_STORAGE_KEY, and for
  // the emulator account devstoreaccount1 to its published key.
  std::string key;
  // A SAS token ("sv=...&sig=...", URL-encoded) used instead of the key.
  std::string sas;
  // Create the container when the store is opened (OK if it exists).
  bool create_container = false;
  // Re-reads when an emulated precondition loses its pin to a concurrent
  // writer, before kUnavailable.
  int conflict_retries = 8;
  // Largest value, in bytes; 0 means Put Blob's limit (5000 MiB).
  std::uint64_t max_value_bytes = 0;
  // TCP connect timeout; zero means libcurl's default.
  absl::Duration connect_timeout = absl::Seconds(10);

  // azblob://account/container[/prefix]?endpoint=URL&key=BASE64
  //   &sas=URL-ENCODED-TOKEN&create_container=0|1&conflict_retries=N
  //   &max_value_bytes=N
  // A SAS may also be given as its own parameters (sv=..&sig=..&...).
  // kInvalidArgument for a bad URI or no credentials.
  static absl::StatusOr<AzureBlobOptions> FromUri(std::string_view uri);
};

// A client of the store. Contacts the service only when create_container
// is set (kUnavailable if it cannot be reached).
absl::StatusOr<std::unique_ptr<Driver>> CreateAzureBlobStore(
    AzureBlobOptions options);

// FromUri + CreateAzureBlobStore; the "azblob" row of cask::OpenStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenAzureBlobStoreUri(
    std::string_view uri);

}  // namespace cask

#endif  // CASK_ADAPTERS_AZURE_BLOB_AZURE_BLOB_STORE_H_
