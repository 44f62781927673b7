#include "sync_state.h"

#include <xxhash.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cask/key.h"
#include "cask/string_view_compat.h"

namespace cask::sync_internal {

std::string Hash(std::string_view bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return absl::StrCat(absl::Hex(h.high64, absl::kZeroPad16),
                      absl::Hex(h.low64, absl::kZeroPad16));
}

StateKeys::StateKeys(std::string_view peer)
    : base_(absl::StrCat(ToAbsl(kReservedBase), ":sync:", ToAbsl(peer))),
      push_(base_ + ":push"),
      pull_(base_ + ":pull"),
      scan_(base_ + ":scan") {}

std::string StateKeys::state(std::string_view key) const {
  return absl::StrCat(base_, ":k:", Hash(key));
}
std::string StateKeys::conflict(std::string_view key) const {
  return absl::StrCat(base_, ":c:", Hash(key));
}
std::string StateKeys::dirty(std::string_view key) const {
  return absl::StrCat(base_, ":d:", Hash(key));
}

std::string EncodeFields(const std::vector<std::string_view>& fields) {
  std::string out;
  for (std::string_view f : fields) {
    absl::StrAppend(&out, f.size(), ":", ToAbsl(f), ",");
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DecodeFields(std::string_view bytes,
                                                      std::size_t count) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    std::size_t colon = bytes.find(':');
    std::uint64_t len = 0;
    if (colon == std::string_view::npos ||
        !absl::SimpleAtoi(ToAbsl(bytes.substr(0, colon)), &len) ||
        bytes.size() - colon - 1 < len + 1 || bytes[colon + 1 + len] != ',') {
      return absl::DataLossError("cask sync: damaged sync state record");
    }
    out.emplace_back(bytes.substr(colon + 1, len));
    bytes.remove_prefix(colon + 2 + len);
  }
  if (out.size() != count) {
    return absl::DataLossError(absl::StrCat("cask sync: sync state record has ",
                                            out.size(), " fields, not ",
                                            count));
  }
  return out;
}

std::string EncodeKeyState(const KeyState& s) {
  return EncodeFields({s.key, s.remote_etag, s.synced_hash});
}

absl::StatusOr<KeyState> DecodeKeyState(std::string_view bytes) {
  absl::StatusOr<std::vector<std::string>> f = DecodeFields(bytes, 3);
  if (!f.ok()) return f.status();
  return KeyState{(*f)[0], (*f)[1], (*f)[2]};
}

std::string EncodeConflict(const SyncConflict& c) {
  std::string micros = absl::StrCat(absl::ToUnixMicros(c.detected));
  return EncodeFields({c.key, c.remote_exists ? "1" : "0", c.remote_etag,
                       c.remote_value, c.reason, micros});
}

absl::StatusOr<SyncConflict> DecodeConflict(std::string_view bytes) {
  absl::StatusOr<std::vector<std::string>> f = DecodeFields(bytes, 6);
  if (!f.ok()) return f.status();
  SyncConflict c;
  c.key = (*f)[0];
  c.remote_exists = (*f)[1] == "1";
  c.remote_etag = (*f)[2];
  c.remote_value = (*f)[3];
  c.reason = (*f)[4];
  std::int64_t micros = 0;
  if (!absl::SimpleAtoi((*f)[5], &micros)) {
    return absl::DataLossError("cask sync: damaged conflict record");
  }
  c.detected = absl::FromUnixMicros(micros);
  return c;
}

absl::StatusOr<std::uint64_t> DecodeCheckpoint(std::string_view bytes) {
  std::uint64_t v = 0;
  if (!absl::SimpleAtoi(ToAbsl(bytes), &v)) {
    return absl::DataLossError("cask sync: damaged checkpoint");
  }
  return v;
}

}  // namespace cask::sync_internal
