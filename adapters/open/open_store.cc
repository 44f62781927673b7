// OpenStore(uri): the one table from URI schemes to store factories.
// Each adapter built in adds its row under its CASK_HAVE_<NAME> macro.
#include <cctype>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cask/open.h"
#include "cask/overlay.h"
#include "cask/string_view_compat.h"
#include "lru_store.h"
#include "memory_store.h"
#include "null_store.h"
#include "uri.h"
#if CASK_HAVE_FS
#include "fs_store.h"
#endif
#if CASK_HAVE_ENGINE
#include "cask/engine.h"
#endif
#if CASK_HAVE_REDIS
#include "redis_store.h"
#endif
#if CASK_HAVE_SQLITE
#include "sqlite_store.h"
#endif
#if CASK_HAVE_POSTGRES
#include "postgres_store.h"
#endif
#if CASK_HAVE_MYSQL
#include "mysql_store.h"
#endif
#if CASK_HAVE_ETCD
#include "etcd_store.h"
#endif
#if CASK_HAVE_S3
#include "s3_store.h"
#endif
#if CASK_HAVE_AZURE_BLOB
#include "azure_blob_store.h"
#endif
#if CASK_HAVE_AZURE_TABLE
#include "azure_table_store.h"
#endif
#if CASK_HAVE_HTTP
#include "http_store.h"
#endif

namespace cask {
namespace {

using Opener =
    std::function<absl::StatusOr<std::unique_ptr<Driver>>(std::string_view)>;

struct Scheme {
  std::string name;
  Opener open;
};

absl::StatusOr<std::unique_ptr<Driver>> OpenLru(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  LruOptions options;
  absl::StatusOr<std::uint64_t> entries =
      uri->UintParam("max_entries", options.max_entries);
  if (!entries.ok()) return entries.status();
  absl::StatusOr<std::uint64_t> bytes =
      uri->UintParam("max_bytes", options.max_bytes);
  if (!bytes.ok()) return bytes.status();
  options.max_entries = *entries;
  options.max_bytes = *bytes;
  return CreateLruStore(options);
}

// "overlay:?layer=<uri>&layer=<uri>...": each layer a percent-encoded store
// URI, the writable top first; each is opened with OpenStore.
absl::StatusOr<std::unique_ptr<Driver>> OpenOverlay(std::string_view text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  for (const auto& [name, value] : uri->query_pairs) {
    if (name != "layer") {
      return absl::InvalidArgumentError(
          absl::StrCat("overlay URI \"", ToAbsl(text), "\": unknown option \"",
                       name, "\" (only layer=<uri>, repeated)"));
    }
  }
  std::vector<std::string> layer_uris = uri->Params("layer");
  if (layer_uris.empty() || !uri->host.empty() || !uri->path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlay URI \"", ToAbsl(text),
                     "\" must be overlay:?layer=<uri>&layer=<uri>..., top "
                     "layer first, each layer URI percent-encoded"));
  }
  std::vector<std::shared_ptr<Driver>> layers;
  for (const std::string& layer : layer_uris) {
    absl::StatusOr<std::unique_ptr<Driver>> store = OpenStore(layer);
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("overlay layer \"", layer,
                                       "\": ", store.status().message()));
    }
    layers.push_back(std::move(*store));
  }
  return CreateOverlayStore(std::move(layers));
}

const std::vector<Scheme>& Schemes() {
  static const auto* schemes = new std::vector<Scheme> {
    {"mem", [](std::string_view) { return CreateMemoryStore(); }},
        {"memory", [](std::string_view) { return CreateMemoryStore(); }},
        {"lru", OpenLru}, {"overlay", OpenOverlay},
        {"null",
         [](std::string_view) -> absl::StatusOr<std::unique_ptr<Driver>> {
           return CreateNullStore();
         }},
#if CASK_HAVE_FS
        {"file", OpenFsStoreUri},
#endif
#if CASK_HAVE_ENGINE
        {"cask", OpenEngineUri},
#endif
#if CASK_HAVE_REDIS
        {"redis", OpenRedisStoreUri},
#endif
#if CASK_HAVE_SQLITE
        {"sqlite", OpenSqliteStoreUri},
#endif
#if CASK_HAVE_POSTGRES
        {"postgres", OpenPostgresStoreUri},
        {"postgresql", OpenPostgresStoreUri},
#endif
#if CASK_HAVE_MYSQL
        {"mysql", OpenMysqlStoreUri}, {"mariadb", OpenMysqlStoreUri},
#endif
#if CASK_HAVE_ETCD
        {"etcd", OpenEtcdStoreUri},
#endif
#if CASK_HAVE_S3
        {"s3", OpenS3StoreUri},
#endif
#if CASK_HAVE_AZURE_BLOB
        {"azblob", OpenAzureBlobStoreUri},
#endif
#if CASK_HAVE_AZURE_TABLE
        {"aztable", OpenAzureTableStoreUri},
#endif
#if CASK_HAVE_HTTP
        {"http", OpenHttpStoreUri}, {"https", OpenHttpStoreUri},
#endif
  };
  return *schemes;
}

}  // namespace

std::vector<std::string> SupportedSchemes() {
  std::vector<std::string> names;
  for (const Scheme& s : Schemes()) names.push_back(s.name);
  return names;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenStore(std::string_view uri) {
  std::size_t colon = uri.find(':');
  std::string scheme =
      colon == std::string_view::npos ? "" : std::string(uri.substr(0, colon));
  for (char& c : scheme) c = static_cast<char>(std::tolower(c));
  for (const Scheme& s : Schemes()) {
    if (s.name == scheme) return s.open(uri);
  }
#if CASK_HAVE_ENGINE
  // A plain path (no scheme) opens the engine there.
  if (colon == std::string_view::npos && !uri.empty()) {
    return OpenEngineUri(absl::StrCat("cask://", ToAbsl(uri)));
  }
#endif
  return absl::InvalidArgumentError(
      absl::StrCat("cannot open store \"", ToAbsl(uri),
                   "\": unknown scheme; this build "
                   "supports: ",
                   absl::StrJoin(SupportedSchemes(), ", ")));
}

}  // namespace cask
