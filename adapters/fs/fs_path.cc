#include "fs_path.h"

#include "cask/key.h"
#include "percent_encoding.h"

namespace cask::fs_internal {
namespace {

bool IsKept(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is never written, so never accepted
}

// Appends the components of one encoded segment, cut into chunks.
void AppendChunks(std::string_view encoded, std::vector<std::string>& out) {
  for (std::size_t pos = 0; pos < encoded.size(); pos += kMaxChunkBytes) {
    std::string chunk;
    if (pos > 0) chunk.push_back(kContinuationPrefix);
    chunk.append(encoded.substr(pos, kMaxChunkBytes));
    out.push_back(std::move(chunk));
  }
}

std::vector<std::string_view> Segments(std::string_view key) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start < key.size()) {
    std::size_t end = key.find(kKeySeparator, start);
    if (end == std::string_view::npos) end = key.size();
    segments.push_back(key.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

std::string EncodeSegment(std::string_view segment) {
  // The bytes IsKept accepts; a leading '.' is escaped too, so no name is
  // "." or ".." or hidden.
  static const KeptBytes kKept = KeptBytes::Unreserved().Without("~");
  if (!segment.empty() && segment.front() == '.') {
    return "%2E" + PercentEncode(segment.substr(1), kKept);
  }
  return PercentEncode(segment, kKept);
}

std::optional<std::string> DecodeSegment(std::string_view encoded) {
  if (encoded.empty()) return std::nullopt;
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c != '%') {
      // Only the canonical form decodes, so two names never map to one key.
      if (!IsKept(c) || (i == 0 && c == '.')) return std::nullopt;
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    int hi = HexValue(encoded[i + 1]);
    int lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    unsigned char d = static_cast<unsigned char>(hi * 16 + lo);
    if (d == 0 || d == ':' || (IsKept(d) && !(out.empty() && d == '.'))) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(d));
    i += 2;
  }
  if (out == "." || out == "..") return std::nullopt;
  return out;
}

std::vector<std::string> BaseComponents(std::string_view base) {
  std::vector<std::string> out;
  for (std::string_view segment : Segments(base)) {
    AppendChunks(EncodeSegment(segment), out);
  }
  return out;
}

KeyPath PathForKey(std::string_view key) {
  std::vector<std::string> components = BaseComponents(key);
  KeyPath path;
  components.back().push_back(kLeafSuffix);
  path.file = JoinComponents(components);
  components.pop_back();
  path.parent = JoinComponents(components);
  return path;
}

std::string JoinComponents(const std::vector<std::string>& components) {
  std::string out;
  for (const std::string& c : components) {
    if (!out.empty()) out.push_back('/');
    out.append(c);
  }
  return out;
}

std::optional<WalkStep> StepInto(std::string_view prefix,
                                 std::string_view pending,
                                 std::string_view name) {
  if (name.empty()) return std::nullopt;
  WalkStep step;
  if (name.front() == kContinuationPrefix) {
    if (pending.empty() || name.size() == 1) return std::nullopt;
    step.prefix = std::string(prefix);
    step.pending = std::string(pending);
    step.pending.append(name.substr(1));
    return step;
  }
  if (pending.empty()) {
    step.prefix = std::string(prefix);
  } else {
    std::optional<std::string> segment = DecodeSegment(pending);
    if (!segment) return std::nullopt;
    step.prefix = JoinKey(prefix, *segment);
  }
  step.pending = std::string(name);
  return step;
}

std::optional<std::string> LeafKey(const WalkStep& step) {
  std::string_view encoded = step.pending;
  if (encoded.empty() || encoded.back() != kLeafSuffix) return std::nullopt;
  encoded.remove_suffix(1);
  std::optional<std::string> segment = DecodeSegment(encoded);
  if (!segment) return std::nullopt;
  std::string key = JoinKey(step.prefix, *segment);
  if (key.size() > kMaxKeyBytes) return std::nullopt;
  return key;
}

std::optional<std::string> KeyPrefixBelow(const WalkStep& step,
                                          std::size_t chunk_bytes) {
  std::string out = step.prefix;
  if (!out.empty()) out.push_back(kKeySeparator);
  if (chunk_bytes < kMaxChunkBytes) {
    std::optional<std::string> segment = DecodeSegment(step.pending);
    if (!segment) return std::nullopt;
    out.append(*segment);
    out.push_back(kKeySeparator);
    return out;
  }
  // Decode what the chunks hold so far, less an escape cut by the chunk end.
  std::string_view encoded = step.pending;
  std::size_t escape = encoded.rfind('%');
  if (escape != std::string_view::npos && escape + 3 > encoded.size()) {
    encoded = encoded.substr(0, escape);
  }
  if (encoded.empty()) return out;
  std::optional<std::string> start = DecodeSegment(encoded);
  if (!start) return std::nullopt;
  out.append(*start);
  return out;
}

}  // namespace cask::fs_internal
