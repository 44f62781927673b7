#include "etcd_watch_stream.h"

#include <curl/curl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cask::etcd_internal {
namespace {

struct StreamState {
  const std::function<bool(const nlohmann::json&)>* on_message = nullptr;
  const std::atomic<bool>* stop = nullptr;
  absl::Time deadline;
  bool timed_out = false;
  std::string pending;  // bytes of a message not yet complete
  bool done = false;    // on_message asked to stop
  absl::Status error;
};

// Parses every complete line; returns false to abort the transfer.
bool Consume(StreamState& s) {
  std::size_t start = 0;
  for (std::size_t nl; (nl = s.pending.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    std::string_view line(s.pending.data() + start, nl - start);
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    nlohmann::json msg = nlohmann::json::parse(line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) {
      s.error = absl::InternalError("etcd watch: malformed message");
      return false;
    }
    if (msg.contains("error")) {
      s.error = absl::InternalError(
          absl::StrCat("etcd watch: ", msg["error"].dump()));
      return false;
    }
    if (!(*s.on_message)(msg.value("result", nlohmann::json::object()))) {
      s.done = true;
      return false;
    }
  }
  s.pending.erase(0, start);
  return true;
}

std::size_t OnData(char* data, std::size_t size, std::size_t n, void* user) {
  auto& s = *static_cast<StreamState*>(user);
  s.pending.append(data, size * n);
  try {
    if (!Consume(s)) return 0;  // aborts the transfer
  } catch (const std::exception& e) {
    s.error = absl::InternalError(absl::StrCat("etcd watch: ", e.what()));
    return 0;
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& s = *static_cast<StreamState*>(user);
  if (s.stop != nullptr && s.stop->load()) return 1;
  if (absl::Now() >= s.deadline) {
    s.timed_out = true;
    return 1;
  }
  return 0;
}

}  // namespace

absl::Status StreamWatch(
    const EtcdOptions& options, const nlohmann::json& create_request,
    const std::function<bool(const nlohmann::json&)>& on_message,
    const std::atomic<bool>* stop, absl::Time deadline) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  StreamState state;
  state.on_message = &on_message;
  state.stop = stop;
  state.deadline = deadline;
  std::string url =
      absl::StrCat("http://", options.host, ":", options.port, "/v3/watch");
  std::string body = nlohmann::json{{"create_request", create_request}}.dump();
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (state.done) return absl::OkStatus();
  if (!state.error.ok()) return state.error;
  if (state.timed_out) {
    return absl::UnavailableError(
        "etcd watch: no answer before the store's timeout");
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) return absl::OkStatus();  // stop
  if (rc == CURLE_OK && http_status != 200 && http_status != 0) {
    return absl::InternalError(
        absl::StrCat("etcd watch: HTTP ", http_status, " ", state.pending));
  }
  return absl::UnavailableError(absl::StrCat(
      "etcd watch stream ended: ",
      rc == CURLE_OK ? "closed by the server" : curl_easy_strerror(rc)));
}

}  // namespace cask::etcd_internal
