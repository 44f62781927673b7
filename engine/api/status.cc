#include "cask/status.h"

#include <cstdint>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask {
namespace {

// Payload type URLs. The conflicts payload is a sequence of records
// [varint len][key][varint len][expected][1 byte has_actual][varint
// len][actual] so that any byte may appear in a key or etag.
constexpr char kConflictsUrl[] = "cask/conflicts";

void PutString(std::string& out, std::string_view s) {
  std::uint64_t n = s.size();
  do {
    unsigned char byte = n & 0x7f;
    n >>= 7;
    if (n) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (n);
  out.append(s);
}

bool GetString(std::string_view& in, std::string& out) {
  std::uint64_t n = 0;
  int shift = 0;
  while (true) {
    if (in.empty() || shift > 63) return false;
    unsigned char byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) break;
  }
  if (n > in.size()) return false;
  out.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

std::string EncodeConflicts(const std::vector<Conflict>& conflicts) {
  std::string out;
  for (const Conflict& c : conflicts) {
    PutString(out, c.key);
    PutString(out, c.expected);
    out.push_back(c.actual ? 1 : 0);
    PutString(out, c.actual.value_or(""));
  }
  return out;
}

std::string DescribeActual(const std::optional<std::string>& actual) {
  return actual ? absl::StrCat("current etag ", QuoteForMessage(*actual))
                : std::string("key does not exist");
}

std::string Escape(std::string_view text, std::size_t max_bytes, bool quote) {
  std::string out;
  std::string_view shown = text.substr(0, max_bytes);
  out.reserve(shown.size() + 32);
  if (quote) out += '"';
  for (char ch : shown) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (quote && (c == '"' || c == '\\')) {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += ch;
    }
  }
  if (shown.size() < text.size()) out += "...";
  if (quote) out += '"';
  if (shown.size() < text.size()) {
    absl::StrAppend(&out, " (", text.size(), " bytes)");
  }
  return out;
}

}  // namespace

std::string QuoteForMessage(std::string_view text, std::size_t max_bytes) {
  return Escape(text, max_bytes, /*quote=*/true);
}

std::string EscapeForMessage(std::string_view text, std::size_t max_bytes) {
  return Escape(text, max_bytes, /*quote=*/false);
}

absl::Status KeyNotFoundError(std::string_view key) {
  return absl::NotFoundError(
      absl::StrCat("key ", QuoteForMessage(key), " not found"));
}

bool IsCasMismatch(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted;
}

bool IsCasUnsupported(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnimplemented;
}

absl::Status CasMismatchError(std::string_view key,
                              const std::optional<std::string>& current_etag) {
  absl::Status status(
      absl::StatusCode::kAborted,
      absl::StrCat("precondition failed for key ", QuoteForMessage(key), " (",
                   DescribeActual(current_etag), ")"));
  status.SetPayload(kConflictsUrl, absl::Cord(EncodeConflicts({Conflict{
                                       std::string(key), "", current_etag}})));
  return status;
}

std::optional<std::string> CurrentEtag(const absl::Status& status) {
  std::vector<Conflict> conflicts = Conflicts(status);
  if (conflicts.empty()) return std::nullopt;
  return conflicts.front().actual;
}

absl::Status CasUnsupportedError(std::string_view what) {
  return absl::UnimplementedError(
      absl::StrCat("CAS unsupported: ", ToAbsl(what)));
}

absl::Status CommitConflictError(const std::vector<Conflict>& conflicts) {
  std::vector<std::string> parts;
  parts.reserve(conflicts.size());
  for (const Conflict& c : conflicts) {
    // `expected` is a description (DescribePrecondition), or a remote
    // server's words when an adapter passes its conflicts on.
    parts.push_back(
        absl::StrCat(QuoteForMessage(c.key), " expected ",
                     EscapeForMessage(c.expected, kMaxBackendTextBytes), ", ",
                     DescribeActual(c.actual)));
  }
  absl::Status status(
      absl::StatusCode::kAborted,
      absl::StrCat("commit failed: ", conflicts.size(),
                   conflicts.size() == 1 ? " precondition" : " preconditions",
                   " did not hold: ", absl::StrJoin(parts, "; ")));
  status.SetPayload(kConflictsUrl, absl::Cord(EncodeConflicts(conflicts)));
  return status;
}

std::vector<Conflict> Conflicts(const absl::Status& status) {
  std::vector<Conflict> out;
  if (!IsCasMismatch(status)) return out;
  auto payload = status.GetPayload(kConflictsUrl);  // absl::optional
  if (!payload) return out;
  std::string flat(*payload);
  std::string_view in = flat;
  while (!in.empty()) {
    Conflict c;
    std::string actual;
    if (!GetString(in, c.key) || !GetString(in, c.expected) || in.empty()) {
      break;
    }
    bool has_actual = in.front() != 0;
    in.remove_prefix(1);
    if (!GetString(in, actual)) break;
    if (has_actual) c.actual = std::move(actual);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cask
