#include "faulty_driver.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "cask/status.h"

namespace cask::lin {
namespace {

class FaultyDriver : public Driver {
 public:
  FaultyDriver(Driver& inner, Fault fault, std::uint64_t seed)
      : inner_(inner), fault_(fault), rng_(seed) {}

  std::string_view name() const override { return "faulty"; }
  Capabilities capabilities() const override { return inner_.capabilities(); }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    if (fault_ == Fault::kStaleReads) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && rng_() % 3 == 0) return it->second;
    }
    absl::StatusOr<Item> item = inner_.Get(key);
    if (fault_ == Fault::kStaleReads && item.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      cache_.emplace(key, *item);  // keeps the first item read: stale
    }
    return item;
  }
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    return inner_.GetMeta(key);
  }
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    if (fault_ != Fault::kRacyPreconditions || options.precondition.empty()) {
      return inner_.Set(key, value, options);
    }
    absl::Status held = CheckThenPause(key, options.precondition);
    if (!held.ok()) return held;
    WriteOptions blind = options;
    blind.precondition = {};
    return inner_.Set(key, value, blind);
  }
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    if (fault_ != Fault::kRacyPreconditions || precondition.empty()) {
      return inner_.Remove(key, precondition);
    }
    absl::Status held = CheckThenPause(key, precondition);
    if (!held.ok()) return held;
    return inner_.Remove(key);
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return inner_.Keys(base);
  }
  absl::Status DoClear(const std::string& base) override {
    return inner_.Clear(base);
  }
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    return inner_.Commit(batch);
  }

 private:
  // The unlocked check of check-then-act.
  absl::Status CheckThenPause(const std::string& key, const Precondition& p) {
    absl::StatusOr<Meta> meta = inner_.GetMeta(key);
    std::optional<std::string> current;
    if (meta.ok()) {
      current = meta->etag;
    } else if (meta.status().code() != absl::StatusCode::kNotFound) {
      return meta.status();
    }
    absl::Status held = EvaluatePrecondition(key, p, current);
    if (!held.ok()) return held;
    // Widen the window so that the race shows up within a few histories.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return absl::OkStatus();
  }

  Driver& inner_;
  const Fault fault_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::map<std::string, Item> cache_;
};

}  // namespace

std::unique_ptr<Driver> TEST_WrapWithFault(Driver& inner, Fault fault,
                                           std::uint64_t seed) {
  return std::make_unique<FaultyDriver>(inner, fault, seed);
}

}  // namespace cask::lin
