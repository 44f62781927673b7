// Azure Storage authentication for the azure_blob and azure_table adapters:
// Shared Key (HMAC-SHA256 with the account key over a canonical string) or
// a SAS token appended to the query. The canonicalisation lives here and
// nowhere else; tests/azure/shared_key_test.cc pins it.
//
// Reference: "Authorize with Shared Key" (Azure Storage REST docs): the
// Blob service signs 12 standard headers, the x-ms-* headers and the
// resource with every query parameter; the Table service signs only
// VERB, Content-MD5, Content-Type, Date and the resource with `comp`.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_AZURE_SHARED_KEY_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_AZURE_SHARED_KEY_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "object_http.h"
#include "uri.h"

namespace cask::objstore {

// The development emulator's well-known account and its published key.
inline constexpr std::string_view kDevAccount = "devstoreaccount1";
inline constexpr std::string_view kDevAccountKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw==";
// The REST version every request of ours announces.
inline constexpr std::string_view kAzureApiVersion = "2021-08-06";

enum class AzureService { kBlob, kTable };

struct AzureCredentials {
  std::string account;
  std::string key;  // base64, as Azure shows it; "" when using a SAS
  std::string sas;  // "sv=...&sig=..." (already URL-encoded), or ""
};

// The account (the URI's host) and its credentials: ?sas=TOKEN (the token
// URL-encoded once more), or a SAS given as its own parameters (sv, sig,
// ...), or ?key=BASE64, else AZURE_STORAGE_KEY, else for devstoreaccount1
// its published key. kInvalidArgument when there are none.
absl::StatusOr<AzureCredentials> AzureCredentialsFromUri(const Uri& uri);

// Completes and checks `creds` before a store is made: without a SAS, the
// devstoreaccount1 key defaults to its published one, and the key must be
// non-empty base64. kInvalidArgument otherwise, its message starting with
// `store` ("azure blob", "azure table").
absl::Status CheckAzureCredentials(std::string_view store,
                                   AzureCredentials* creds);

// True for the query parameters of a SAS token (sv, sig, se, ...).
bool IsSasParameter(std::string_view name);

// Splits an encoded URL into its path ("/a/b", still encoded) and its raw
// query (without '?').
void SplitUrl(std::string_view url, std::string* path, std::string* query);

// The CanonicalizedResource: "/" + account + path, then for the Blob
// service each query parameter ("\nname:v1,v2", names lower-cased and
// sorted, values decoded), for the Table service only "?comp=value".
std::string CanonicalizedResource(AzureService service,
                                  std::string_view account,
                                  std::string_view url_path,
                                  std::string_view raw_query);

// The string to sign for `request` (its headers must already include
// x-ms-date and every header that will be sent).
std::string StringToSign(AzureService service, std::string_view account,
                         const transport::HttpRequest& request);

// base64(HMAC-SHA256(base64decode(key_base64), data)). kInvalidArgument
// when the key is not base64.
absl::StatusOr<std::string> HmacSha256Base64(std::string_view key_base64,
                                             std::string_view data);

// Adds x-ms-date (`now`) and x-ms-version, then either appends the SAS to
// the URL or adds "Authorization: SharedKey account:signature".
absl::Status Authorize(AzureService service, const AzureCredentials& creds,
                       absl::Time now, transport::HttpRequest* request);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_AZURE_SHARED_KEY_H_
