#include "etcd_feed.h"

#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"
#include "etcd_watch_stream.h"

namespace cask::etcd_internal {
namespace {

using json = nlohmann::json;

// The value header etcd_store.cc writes: format byte, mtime ms, expiry ms.
constexpr std::size_t kHeaderSize = 17;

std::string B64(std::string_view s) { return absl::Base64Escape(ToAbsl(s)); }

std::string UnB64(const json& j) {
  std::string out;
  if (!j.is_string() || !absl::Base64Unescape(j.get<std::string>(), &out)) {
    throw std::runtime_error("bad base64 in a watch event");
  }
  return out;
}

std::uint64_t Uint(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  std::uint64_t v = 0;
  if (!it->is_string() || !absl::SimpleAtoi(it->get<std::string>(), &v)) {
    throw std::runtime_error(absl::StrCat("bad number in ", field));
  }
  return v;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

// One watch event as a ChangeEvent; nullopt for a key outside `prefix`.
std::optional<ChangeEvent> ToEvent(const json& e, const std::string& prefix) {
  const json& kv = e.at("kv");
  std::string key = UnB64(kv.at("key"));
  if (key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  ChangeEvent ev;
  ev.key = key.substr(prefix.size());
  ev.revision = Uint(kv, "mod_revision");
  if (e.value("type", "PUT") == "DELETE") {
    ev.kind = ChangeKind::kDelete;
    ev.time = absl::Now();  // etcd keeps no time for a delete
    return ev;
  }
  ev.kind = ChangeKind::kPut;
  ev.etag = absl::StrCat(ev.revision);
  std::string raw = kv.contains("value") ? UnB64(kv["value"]) : "";
  if (raw.size() >= kHeaderSize) {
    std::uint64_t ms = 0;
    for (int i = 1; i <= 8; ++i) {
      ms = (ms << 8) | static_cast<unsigned char>(raw[i]);
    }
    ev.time = absl::FromUnixMillis(static_cast<std::int64_t>(ms));
    ev.size = raw.size() - kHeaderSize;
  }
  return ev;
}

absl::Status Compacted(std::uint64_t after, std::uint64_t compact_revision) {
  return absl::OutOfRangeError(absl::StrCat(
      "etcd compacted its history up to revision ", compact_revision,
      "; events after revision ", after, " are gone"));
}

class WatchSubscription final : public Subscription {
 public:
  ~WatchSubscription() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::vector<ChangeEvent>> EtcdFeed::Changes(std::uint64_t after,
                                                           std::size_t limit) {
  // etcd sends nothing for revisions without an event in the watched
  // range, so a watch of the store's prefix alone could not tell "no more
  // events" from "not yet". Every revision has at least one event
  // somewhere in the cluster: watching every key (and keeping the store's)
  // up to the revision current at the start ends deterministically.
  std::vector<ChangeEvent> out;
  std::uint64_t now = 0, compacted = 0, last = 0;
  bool reached = false;
  json request = {{"key", B64(std::string(1, '\0'))},
                  {"range_end", B64(std::string(1, '\0'))},
                  {"start_revision", absl::StrCat(after + 1)}};
  absl::Status s = StreamWatch(
      options_, request,
      [&](const json& result) {
        if (result.value("canceled", false)) {
          compacted = Uint(result, "compact_revision");
          if (compacted == 0) compacted = after + 1;
          return false;
        }
        if (result.value("created", false)) {
          now = Uint(result.at("header"), "revision");
          reached = now <= after;
          return !reached;
        }
        for (const json& e : result.value("events", json::array())) {
          std::uint64_t rev = Uint(e.at("kv"), "mod_revision");
          if (out.size() >= limit && rev != last) {
            reached = true;
            return false;
          }
          last = rev;
          if (std::optional<ChangeEvent> ev = ToEvent(e, options_.prefix)) {
            out.push_back(*std::move(ev));
          }
        }
        reached = last >= now;
        return !reached;
      },
      nullptr);
  if (compacted != 0) return Compacted(after, compacted);
  if (!s.ok()) return s;
  if (!reached) {
    return absl::UnavailableError(
        "etcd watch ended before the current revision");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Subscription>> EtcdFeed::Watch(
    const std::string& base, std::uint64_t after, WatchCallback callback) {
  // Fail now, not silently in the thread, when `after` is compacted.
  absl::StatusOr<std::vector<ChangeEvent>> probe = Changes(after, 1);
  if (!probe.ok() && probe.status().code() == absl::StatusCode::kOutOfRange) {
    return probe.status();
  }
  auto sub = std::make_unique<WatchSubscription>();
  std::atomic<bool>* stop = &sub->stop_;
  sub->thread_ =
      std::thread([this, base, after, stop, callback = std::move(callback)] {
        std::uint64_t last = after;
        absl::Duration backoff = absl::Milliseconds(100);
        while (!stop->load()) {
          bool compacted = false;
          json request = {{"key", B64(options_.prefix)},
                          {"range_end", B64(PrefixEnd(options_.prefix))},
                          {"start_revision", absl::StrCat(last + 1)}};
          absl::Status s = StreamWatch(
              options_, request,
              [&](const json& result) {
                if (result.value("canceled", false)) {
                  compacted = true;
                  return false;
                }
                for (const json& e : result.value("events", json::array())) {
                  std::optional<ChangeEvent> ev = ToEvent(e, options_.prefix);
                  if (!ev) continue;
                  last = ev->revision;
                  if (base.empty() || IsUnderBase(ev->key, base)) callback(*ev);
                }
                backoff = absl::Milliseconds(100);
                return !stop->load();
              },
              stop);
          // Events past a compaction are gone: stop rather than skip them.
          if (compacted) return;
          for (absl::Time until = absl::Now() + backoff;
               !stop->load() && absl::Now() < until;) {
            absl::SleepFor(absl::Milliseconds(20));
          }
          backoff = std::min(backoff * 2, absl::Seconds(5));
          (void)s;
        }
      });
  return std::unique_ptr<Subscription>(std::move(sub));
}

}  // namespace cask::etcd_internal
