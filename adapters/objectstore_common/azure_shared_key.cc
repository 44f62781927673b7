#include "azure_shared_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cask/string_view_compat.h"
#include "percent_encoding.h"

namespace cask::objstore {
namespace {

std::string PercentDecodeLoose(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(
          std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string HeaderValue(const transport::HttpRequest& r,
                        std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (absl::EqualsIgnoreCase(n, ToAbsl(name))) return v;
  }
  return "";
}

}  // namespace

void SplitUrl(std::string_view url, std::string* path, std::string* query) {
  std::size_t scheme = url.find("://");
  std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  std::size_t slash = url.find('/', start);
  std::size_t qmark = url.find('?', start);
  if (slash == std::string_view::npos ||
      (qmark != std::string_view::npos && qmark < slash)) {
    path->assign(1, '/');  // not = "/": GCC 12 -Wrestrict
  } else {
    *path = std::string(url.substr(slash, qmark == std::string_view::npos
                                              ? std::string_view::npos
                                              : qmark - slash));
  }
  *query =
      qmark == std::string_view::npos ? "" : std::string(url.substr(qmark + 1));
}

std::string CanonicalizedResource(AzureService service,
                                  std::string_view account,
                                  std::string_view url_path,
                                  std::string_view raw_query) {
  std::string out = absl::StrCat("/", ToAbsl(account), ToAbsl(url_path));
  std::map<std::string, std::vector<std::string>> params;
  if (!raw_query.empty()) {
    for (absl::string_view part : absl::StrSplit(ToAbsl(raw_query), '&')) {
      if (part.empty()) continue;
      std::size_t eq = part.find('=');
      std::string name =
          absl::AsciiStrToLower(PercentDecodeLoose(ToStd(part.substr(0, eq))));
      std::string value = eq == absl::string_view::npos
                              ? ""
                              : PercentDecodeLoose(ToStd(part.substr(eq + 1)));
      params[name].push_back(value);
    }
  }
  if (service == AzureService::kTable) {
    auto it = params.find("comp");
    if (it != params.end()) absl::StrAppend(&out, "?comp=", it->second.front());
    return out;
  }
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    absl::StrAppend(&out, "\n", name, ":", absl::StrJoin(values, ","));
  }
  return out;
}

std::string StringToSign(AzureService service, std::string_view account,
                         const transport::HttpRequest& request) {
  std::string path, query;
  SplitUrl(request.url, &path, &query);
  std::string resource = CanonicalizedResource(service, account, path, query);
  if (service == AzureService::kTable) {
    return absl::StrCat(request.method, "\n",
                        HeaderValue(request, "Content-MD5"), "\n",
                        HeaderValue(request, "Content-Type"), "\n",
                        HeaderValue(request, "x-ms-date"), "\n", resource);
  }
  std::string length = request.has_body && !request.body.empty()
                           ? absl::StrCat(request.body.size())
                           : "";
  std::vector<std::pair<std::string, std::string>> ms;
  for (const auto& [n, v] : request.headers) {
    std::string lower = absl::AsciiStrToLower(n);
    if (absl::StartsWith(lower, "x-ms-")) {
      ms.emplace_back(lower, std::string(absl::StripAsciiWhitespace(v)));
    }
  }
  std::sort(ms.begin(), ms.end());
  std::string canonical_headers;
  for (const auto& [n, v] : ms)
    absl::StrAppend(&canonical_headers, n, ":", v, "\n");
  return absl::StrCat(
      request.method, "\n", HeaderValue(request, "Content-Encoding"), "\n",
      HeaderValue(request, "Content-Language"), "\n", length, "\n",
      HeaderValue(request, "Content-MD5"), "\n",
      HeaderValue(request, "Content-Type"), "\n", HeaderValue(request, "Date"),
      "\n", HeaderValue(request, "If-Modified-Since"), "\n",
      HeaderValue(request, "If-Match"), "\n",
      HeaderValue(request, "If-None-Match"), "\n",
      HeaderValue(request, "If-Unmodified-Since"), "\n",
      HeaderValue(request, "Range"), "\n", canonical_headers, resource);
}

absl::StatusOr<std::string> HmacSha256Base64(std::string_view key_base64,
                                             std::string_view data) {
  std::string key;
  if (!Base64Decode(key_base64, &key) || key.empty()) {
    return absl::InvalidArgumentError("azure account key is not base64");
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           mac, &mac_len) == nullptr) {
    return absl::InternalError("HMAC-SHA256 failed");
  }
  return Base64Encode(std::string_view(reinterpret_cast<char*>(mac), mac_len));
}

namespace {
constexpr const char* kSasParameters[] = {"sv",  "ss",  "srt", "sp", "se",
                                          "st",  "spr", "sip", "sr", "si",
                                          "ses", "sdd", "sig"};
}  // namespace

bool IsSasParameter(std::string_view name) {
  for (const char* p : kSasParameters) {
    if (name == p) return true;
  }
  return false;
}

absl::StatusOr<AzureCredentials> AzureCredentialsFromUri(const Uri& uri) {
  AzureCredentials creds;
  creds.account = uri.host;
  if (creds.account.empty()) {
    return absl::InvalidArgumentError(
        "azure URI: no account (scheme://account/...)");
  }
  creds.sas = uri.Param("sas");
  if (creds.sas.empty() && uri.query.count("sig") != 0) {
    for (const char* name : kSasParameters) {
      auto it = uri.query.find(name);
      if (it == uri.query.end()) continue;
      absl::StrAppend(&creds.sas, creds.sas.empty() ? "" : "&", name, "=",
                      PercentEncode(it->second, KeptBytes::Unreserved()));
    }
  }
  if (!creds.sas.empty()) return creds;
  const char* env = std::getenv("AZURE_STORAGE_KEY");
  creds.key = uri.Param("key", env == nullptr ? "" : env);
  if (creds.key.empty() && creds.account == kDevAccount) {
    creds.key = std::string(kDevAccountKey);
  }
  std::string decoded;
  if (creds.key.empty() || !Base64Decode(creds.key, &decoded) ||
      decoded.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "azure URI: no usable credentials for account ", creds.account,
        " (key=BASE64, AZURE_STORAGE_KEY or a SAS token)"));
  }
  return creds;
}

absl::Status Authorize(AzureService service, const AzureCredentials& creds,
                       absl::Time now, transport::HttpRequest* request) {
  request->headers.emplace_back("x-ms-date", HttpDate(now));
  request->headers.emplace_back("x-ms-version", std::string(kAzureApiVersion));
  if (!creds.sas.empty()) {
    std::string sas = creds.sas;
    if (!sas.empty() && sas[0] == '?') sas.erase(0, 1);
    absl::StrAppend(&request->url,
                    request->url.find('?') == std::string::npos ? "?" : "&",
                    sas);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> sig = HmacSha256Base64(
      creds.key, StringToSign(service, creds.account, *request));
  if (!sig.ok()) return sig.status();
  request->headers.emplace_back(
      "Authorization", absl::StrCat("SharedKey ", creds.account, ":", *sig));
  return absl::OkStatus();
}

absl::Status CheckAzureCredentials(std::string_view store,
                                   AzureCredentials* creds) {
  if (!creds->sas.empty()) return absl::OkStatus();
  if (creds->key.empty() && creds->account == kDevAccount) {
    creds->key = std::string(kDevAccountKey);
  }
  std::string decoded;
  if (!Base64Decode(creds->key, &decoded) || decoded.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        ToAbsl(store), ": the account key is missing or not base64"));
  }
  return absl::OkStatus();
}

}  // namespace cask::objstore
