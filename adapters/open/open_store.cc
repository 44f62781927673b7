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
#if CASK_STORE_MODULES
// The network adapters are loaded when their scheme is opened.
#include "store_modules.h"
#else
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
#endif  // CASK_STORE_MODULES

namespace cask {
namespace {

using Opener =
    std::function<absl::StatusOr<std::unique_ptr<Driver>>(std::string_view)>;

struct Scheme {
  std::string name;
  Opener open;
};

#if CASK_STORE_MODULES
// Opens the URI with adapter `name`, loading its library the first time.
Opener Module(const char* name, const char* library) {
  return [name, library](
             std::string_view uri) -> absl::StatusOr<std::unique_ptr<Driver>> {
    absl::StatusOr<StoreOpener> open = LoadStoreModule(name, library);
    if (!open.ok()) return open.status();
    return (*open)(uri);
  };
}
#define CASK_OPENER(name, function, file) Module(name, file)
#else
#define CASK_OPENER(name, function, file) function
#endif

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
        {"redis",
         CASK_OPENER("redis", OpenRedisStoreUri, CASK_MODULE_FILE_REDIS)},
#endif
#if CASK_HAVE_SQLITE
        {"sqlite",
         CASK_OPENER("sqlite", OpenSqliteStoreUri, CASK_MODULE_FILE_SQLITE)},
#endif
#if CASK_HAVE_POSTGRES
        {"postgres", CASK_OPENER("postgres", OpenPostgresStoreUri,
                                 CASK_MODULE_FILE_POSTGRES)},
        {"postgresql", CASK_OPENER("postgres", OpenPostgresStoreUri,
                                   CASK_MODULE_FILE_POSTGRES)},
#endif
#if CASK_HAVE_MYSQL
        {"mysql",
         CASK_OPENER("mysql", OpenMysqlStoreUri, CASK_MODULE_FILE_MYSQL)},
        {"mariadb",
         CASK_OPENER("mysql", OpenMysqlStoreUri, CASK_MODULE_FILE_MYSQL)},
#endif
#if CASK_HAVE_ETCD
        {"etcd", CASK_OPENER("etcd", OpenEtcdStoreUri, CASK_MODULE_FILE_ETCD)},
#endif
#if CASK_HAVE_S3
        {"s3", CASK_OPENER("s3", OpenS3StoreUri, CASK_MODULE_FILE_S3)},
#endif
#if CASK_HAVE_AZURE_BLOB
        {"azblob", CASK_OPENER("azure_blob", OpenAzureBlobStoreUri,
                               CASK_MODULE_FILE_AZURE_BLOB)},
#endif
#if CASK_HAVE_AZURE_TABLE
        {"aztable", CASK_OPENER("azure_table", OpenAzureTableStoreUri,
                                CASK_MODULE_FILE_AZURE_TABLE)},
#endif
#if CASK_HAVE_HTTP
        {"http", CASK_OPENER("http", OpenHttpStoreUri, CASK_MODULE_FILE_HTTP)},
        {"https", CASK_OPENER("http", OpenHttpStoreUri, CASK_MODULE_FILE_HTTP)},
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
