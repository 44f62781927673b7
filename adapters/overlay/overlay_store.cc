#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cask/overlay.h"
#include "cask/quote.h"
#include "cask/scan.h"
#include "cask/status.h"

namespace cask {
namespace {

// How often a pinned write that lost a race is re-evaluated before the
// overlay reports a mismatch.
constexpr int kMaxPinAttempts = 16;

// What the layers hold for one key.
struct View {
  std::optional<Item> top;  // the top layer's entry, tombstone or not
  bool top_is_tombstone = false;
  bool lower_has = false;     // some lower layer holds the key
  std::optional<Item> lower;  // the first lower layer's copy

  const Item* visible() const {
    if (top) return top_is_tombstone ? nullptr : &*top;
    return lower ? &*lower : nullptr;
  }
  std::optional<std::string> current_etag() const {
    const Item* v = visible();
    return v ? std::optional<std::string>(v->meta.etag) : std::nullopt;
  }
  // Pins a top-layer write to the state this view saw.
  Precondition pin() const {
    return top ? Precondition::IfMatch(top->meta.etag)
               : Precondition::CreateOnly();
  }
};

absl::Status NotFound(const std::string& key) { return KeyNotFoundError(key); }

class OverlayStore final : public Driver {
 public:
  explicit OverlayStore(std::vector<std::shared_ptr<Driver>> layers)
      : layers_(std::move(layers)) {}

  std::string_view name() const override { return "overlay"; }

  Capabilities capabilities() const override {
    Capabilities top = layers_[0]->capabilities();
    Capabilities caps;
    caps.cas = top.cas;
    caps.atomic_batch = top.atomic_batch;
    caps.ttl = top.ttl;
    caps.max_value_bytes = top.max_value_bytes;
    return caps;
  }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    absl::StatusOr<View> view = Read(key);
    if (!view.ok()) return view.status();
    const Item* v = view->visible();
    if (v == nullptr) return NotFound(key);
    return *v;
  }

  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    absl::StatusOr<Item> item = DoGet(key);
    if (!item.ok()) return item.status();
    return item->meta;
  }

  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    if (value == kOverlayTombstone) {
      return absl::InvalidArgumentError(
          "this value is the overlay's tombstone marker and cannot be stored");
    }
    if (options.precondition.empty()) return Top().Set(key, value, options);
    std::optional<std::string> current;
    for (int attempt = 0; attempt < kMaxPinAttempts; ++attempt) {
      absl::StatusOr<View> view = Read(key);
      if (!view.ok()) return view.status();
      current = view->current_etag();
      if (!PreconditionHolds(options.precondition, current)) {
        return CasMismatchError(key, current);
      }
      absl::StatusOr<std::string> etag =
          Top().Set(key, value, WriteOptions{view->pin(), options.ttl});
      if (!IsCasMismatch(etag.status())) return etag;
    }
    return CasMismatchError(key, current);
  }

  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    std::optional<std::string> current;
    for (int attempt = 0; attempt < kMaxPinAttempts; ++attempt) {
      absl::StatusOr<View> view = Read(key, /*need_lower=*/true);
      if (!view.ok()) return view.status();
      current = view->current_etag();
      if (!PreconditionHolds(precondition, current)) {
        return CasMismatchError(key, current);
      }
      Precondition pin = precondition.empty() ? Precondition{} : view->pin();
      absl::Status s;
      if (view->lower_has) {
        s = Top().Set(key, kOverlayTombstone, WriteOptions{pin}).status();
      } else if (view->top) {
        s = Top().Remove(key, pin);
      }
      if (!IsCasMismatch(s)) return s;
    }
    return CasMismatchError(key, current);
  }

  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return KeysByScan(base);
  }

  // One page of every layer, merged in key order: the top-most layer
  // holding a key wins, and a top-layer tombstone hides the key. Not one
  // atomic state across layers.
  absl::StatusOr<ScanPage> DoScan(const std::string& base,
                                  const ScanOptions& options) override {
    std::vector<ScanPage> pages;
    for (const std::shared_ptr<Driver>& layer : layers_) {
      absl::StatusOr<ScanPage> page = layer->Scan(base, options);
      if (!page.ok()) return page.status();
      pages.push_back(*std::move(page));
    }
    // The top layer's entries of the tombstone's size may be tombstones
    // (without values, their value is read to tell).
    std::vector<std::string> tombstones;
    for (const ScanEntry& e : pages[0].entries) {
      if (e.meta.size != kOverlayTombstone.size()) continue;
      absl::StatusOr<bool> tomb = options.with_values
                                      ? e.value == kOverlayTombstone
                                      : IsTombstone(e.key);
      if (!tomb.ok() && tomb.status().code() != absl::StatusCode::kNotFound) {
        return tomb.status();
      }
      if (tomb.ok() && *tomb) tombstones.push_back(e.key);
    }
    return MergeScanPages(std::move(pages), options.limit,
                          [&](const ScanEntry& e, std::size_t source) {
                            return source != 0 ||
                                   !std::binary_search(tombstones.begin(),
                                                       tombstones.end(), e.key);
                          });
  }

  absl::Status DoClear(const std::string& base) override {
    if (absl::Status s = Top().Clear(base); !s.ok()) return s;
    for (std::size_t i = 1; i < layers_.size(); ++i) {
      absl::StatusOr<std::vector<std::string>> keys = layers_[i]->Keys(base);
      if (!keys.ok()) return keys.status();
      for (const std::string& k : *keys) {
        absl::Status s = Top().Set(k, kOverlayTombstone).status();
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    for (int attempt = 0; attempt < kMaxPinAttempts; ++attempt) {
      std::vector<Conflict> conflicts;
      Batch top_batch;
      for (const BatchOp& op : batch.ops()) {
        absl::StatusOr<View> view =
            Read(op.key, op.kind == BatchOpKind::kDelete);
        if (!view.ok()) return view.status();
        const Precondition& p = op.options.precondition;
        if (!PreconditionHolds(p, view->current_etag())) {
          conflicts.push_back(
              Conflict{op.key, DescribePrecondition(p), view->current_etag()});
          continue;
        }
        Precondition pin = p.empty() ? Precondition{} : view->pin();
        if (op.kind == BatchOpKind::kPut) {
          if (op.value == kOverlayTombstone) {
            return absl::InvalidArgumentError(
                "a value equal to the overlay's tombstone cannot be stored");
          }
          top_batch.Put(op.key, op.value, WriteOptions{pin, op.options.ttl});
        } else if (op.kind == BatchOpKind::kDelete && view->lower_has) {
          top_batch.Put(op.key, kOverlayTombstone, WriteOptions{pin});
        } else if (op.kind == BatchOpKind::kDelete && view->top) {
          top_batch.Delete(op.key, pin);
        } else if (!pin.empty()) {
          top_batch.Verify(op.key, pin);
        }
      }
      if (!conflicts.empty()) return CommitConflictError(conflicts);
      absl::StatusOr<CommitResult> r = Top().Commit(top_batch);
      if (IsCasMismatch(r.status())) continue;
      if (!r.ok()) return r.status();
      return MapResult(batch, top_batch, *r);
    }
    return absl::AbortedError(
        "commit failed: the overlay's top layer kept changing underneath it");
  }

 private:
  Driver& Top() { return *layers_[0]; }

  // What the layers hold for `key`. A key the top layer holds (value or
  // tombstone) is answered by it alone: the lower layers are consulted only
  // when the top has nothing, or when `need_lower` (a remove must know
  // whether a lower copy needs hiding). Then a lower layer that fails is
  // treated as holding the key, so the remove writes a tombstone, which is
  // right either way.
  absl::StatusOr<View> Read(const std::string& key, bool need_lower = false) {
    View view;
    absl::StatusOr<Item> top = Top().Get(key);
    if (top.ok()) {
      view.top_is_tombstone = top->value == kOverlayTombstone;
      view.top = *std::move(top);
    } else if (top.status().code() != absl::StatusCode::kNotFound) {
      return top.status();
    }
    if (view.top && !need_lower) return view;
    for (std::size_t i = 1; i < layers_.size(); ++i) {
      absl::StatusOr<Item> item = layers_[i]->Get(key);
      if (item.ok()) {
        view.lower_has = true;
        view.lower = *std::move(item);
        break;
      }
      if (item.status().code() == absl::StatusCode::kNotFound) continue;
      if (view.top) {
        view.lower_has = true;
        break;
      }
      return item.status();
    }
    return view;
  }

  absl::StatusOr<bool> IsTombstone(const std::string& key) {
    absl::StatusOr<Meta> meta = Top().GetMeta(key);
    if (!meta.ok()) return meta.status();
    if (meta->size != kOverlayTombstone.size()) return false;
    absl::StatusOr<Item> item = Top().Get(key);
    if (!item.ok()) return item.status();
    return item->value == kOverlayTombstone;
  }

  // The top batch may hold fewer ops (a delete of a key nobody has, a verify
  // without precondition); map its etags back to the caller's batch.
  static CommitResult MapResult(const Batch& batch, const Batch& top_batch,
                                const CommitResult& top_result) {
    CommitResult out;
    out.revision = top_result.revision;
    for (const BatchOp& op : batch.ops()) {
      std::string etag;
      if (op.kind == BatchOpKind::kPut) {
        for (std::size_t j = 0; j < top_batch.size(); ++j) {
          if (top_batch.ops()[j].key == op.key) etag = top_result.etags[j];
        }
      }
      out.etags.push_back(std::move(etag));
    }
    return out;
  }

  const std::vector<std::shared_ptr<Driver>> layers_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Driver>> CreateOverlayStore(
    std::vector<std::shared_ptr<Driver>> layers) {
  if (layers.empty()) {
    return absl::InvalidArgumentError("overlay needs at least one layer");
  }
  for (const auto& layer : layers) {
    if (layer == nullptr)
      return absl::InvalidArgumentError("null overlay layer");
  }
  return std::make_unique<OverlayStore>(std::move(layers));
}

}  // namespace cask
