#include "conditional_write.h"

#include "absl/strings/str_cat.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"

namespace cask::objstore {
namespace {

bool IsStrongSingle(const std::vector<std::string>& tags) {
  return tags.size() == 1 && tags[0] != kAnyEtag && tags[0].rfind("W/", 0) != 0;
}

bool IsAny(const std::vector<std::string>& tags) {
  return tags.size() == 1 && tags[0] == kAnyEtag;
}

std::string Quote(const std::string& etag) {
  return absl::StrCat("\"", etag, "\"");
}

}  // namespace

std::optional<ConditionalHeaders> NativeHeaders(const Precondition& p,
                                                const NativeShapes& shapes) {
  ConditionalHeaders h;
  if (p.if_match && p.if_none_match && !shapes.both_headers)
    return std::nullopt;
  if (p.if_match) {
    if (IsStrongSingle(*p.if_match)) {
      h.if_match = Quote((*p.if_match)[0]);
    } else if (IsAny(*p.if_match) && shapes.if_match_any) {
      h.if_match.assign(1, '*');
    } else {
      return std::nullopt;
    }
  }
  if (p.if_none_match) {
    if (IsAny(*p.if_none_match)) {
      h.if_none_match.assign(1, '*');  // not = "*": GCC 12 -Wrestrict
    } else if (IsStrongSingle(*p.if_none_match) && shapes.if_none_match_tag) {
      h.if_none_match = Quote((*p.if_none_match)[0]);
    } else {
      return std::nullopt;
    }
  }
  return h;
}

ConditionalHeaders PinTo(const std::optional<std::string>& current) {
  ConditionalHeaders h;
  if (current) {
    h.if_match = Quote(*current);
  } else {
    h.if_none_match.assign(1, '*');  // not = "*": GCC 12 -Wrestrict
  }
  return h;
}

absl::StatusOr<std::string> RunPinned(std::string_view what,
                                      std::string_view key,
                                      const Precondition& p, bool remove,
                                      int max_attempts, const HeadFn& head,
                                      const WriteFn& write) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    absl::StatusOr<std::optional<std::string>> current = head();
    if (!current.ok()) return current.status();
    if (absl::Status s = EvaluatePrecondition(key, p, *current); !s.ok()) {
      return s;
    }
    if (remove && !current->has_value()) return std::string();
    absl::StatusOr<WriteAttempt> r = write(PinTo(*current));
    if (!r.ok()) return r.status();
    if (!r->condition_failed) return r->etag;
    // The object changed between the read and the pinned write; nothing
    // was written. Look again.
  }
  return absl::UnavailableError(absl::StrCat(
      ToAbsl(what), " ", QuoteForMessage(key),
      ": the object kept changing under ", DescribePrecondition(p), " (",
      max_attempts, " attempts); nothing was written, retry may help"));
}

absl::StatusOr<std::string> WriteConditionally(
    std::string_view what, std::string_view key, const Precondition& p,
    const NativeShapes& shapes, bool remove, int max_attempts,
    const HeadFn& head, const WriteFn& write) {
  std::optional<ConditionalHeaders> native = NativeHeaders(p, shapes);
  if (remove && native && !native->if_none_match.empty()) native.reset();
  if (!native)
    return RunPinned(what, key, p, remove, max_attempts, head, write);
  absl::StatusOr<WriteAttempt> r = write(*native);
  if (!r.ok()) return r.status();
  if (!r->condition_failed) return r->etag;
  absl::StatusOr<std::optional<std::string>> current = head();
  return CasMismatchError(key, current.ok() ? *current : std::nullopt);
}

}  // namespace cask::objstore
