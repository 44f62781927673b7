#include "etcd_feed.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cask/key.h"
#include "etcd_codec.h"
#include "etcd_watch_stream.h"

namespace cask::etcd_internal {
namespace {

using json = nlohmann::json;

std::uint64_t Uint(const json& j, const char* field) {
  return static_cast<std::uint64_t>(ReplyInt(j, field));
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
  if (std::optional<DecodedValue> decoded = DecodeValue(raw)) {
    ev.time = decoded->header.mtime;
    ev.size = decoded->value.size();
    ev.value = std::string(decoded->value);  // the event carries it: no read
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
  // somewhere in the cluster (except revision 1, a new cluster's): watching
  // every key (and keeping the store's) up to the revision current at the
  // start ends deterministically.
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
          // Revision 1 is a new cluster's, with no event: nothing to wait
          // for unless a later revision exists.
          reached = now <= std::max<std::uint64_t>(after, 1);
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
      nullptr, absl::Now() + options_.timeout);
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
