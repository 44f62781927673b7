#include "ipc_wire.h"

#include <cstring>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "cask/string_view_compat.h"

namespace cask::engine::ipc {
namespace {

void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

std::uint64_t GetLe(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i]))
         << (8 * i);
  }
  return v;
}

void PutList(Writer& w, const std::optional<std::vector<std::string>>& l) {
  if (!l) {
    w.U8(0);
    return;
  }
  w.U8(1);
  w.U32(static_cast<std::uint32_t>(l->size()));
  for (const std::string& s : *l) w.Str(s);
}

}  // namespace

bool IsRequestType(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(Type::kHello) &&
         type <= static_cast<std::uint8_t>(Type::kGetAt);
}

bool IsWriteRequest(Type type) {
  return type == Type::kSet || type == Type::kRemove || type == Type::kClear ||
         type == Type::kCommit;
}

std::string AsRetry(std::string_view write_payload) {
  std::string out(write_payload);
  if (out.size() > kWriteFlagsOffset) {
    out[kWriteFlagsOffset] = static_cast<char>(
        static_cast<std::uint8_t>(out[kWriteFlagsOffset]) & ~kWriteFirstTry);
  }
  return out;
}

std::string EncodeHeader(const Header& h) {
  std::string out;
  out.reserve(kHeaderBytes);
  PutLe(out, h.length, 4);
  PutLe(out, h.version, 1);
  PutLe(out, h.type, 1);
  PutLe(out, h.reserved, 2);
  PutLe(out, h.call, 8);
  return out;
}

Header DecodeHeader(const char* p) {
  Header h;
  h.length = static_cast<std::uint32_t>(GetLe(p, 4));
  h.version = static_cast<std::uint8_t>(GetLe(p + 4, 1));
  h.type = static_cast<std::uint8_t>(GetLe(p + 5, 1));
  h.reserved = static_cast<std::uint16_t>(GetLe(p + 6, 2));
  h.call = GetLe(p + 8, 8);
  return h;
}

absl::Status CheckHeader(const Header& h, bool from_client) {
  if (h.version != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("cask ipc: protocol version ", h.version,
                     " (this side speaks ", kVersion, ")"));
  }
  if (h.reserved != 0) {
    return absl::InvalidArgumentError("cask ipc: reserved header bits set");
  }
  if (h.length > kMaxPayload) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cask ipc: frame of ", h.length, " bytes exceeds ", kMaxPayload));
  }
  bool ok = from_client
                ? IsRequestType(h.type)
                : (h.type == static_cast<std::uint8_t>(Type::kResponse) ||
                   h.type == static_cast<std::uint8_t>(Type::kError));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("cask ipc: unknown frame type ", h.type));
  }
  return absl::OkStatus();
}

void Writer::U32(std::uint32_t v) { PutLe(out_, v, 4); }
void Writer::U64(std::uint64_t v) { PutLe(out_, v, 8); }
void Writer::Str(std::string_view s) {
  U32(static_cast<std::uint32_t>(s.size()));
  out_.append(s.data(), s.size());
}
void Writer::OptStr(const std::optional<std::string>& s) {
  U8(s ? 1 : 0);
  if (s) Str(*s);
}
void Writer::Pre(const Precondition& p) {
  PutList(*this, p.if_match);
  PutList(*this, p.if_none_match);
}
void Writer::MetaOf(const Meta& m) {
  Str(m.etag);
  I64(absl::ToUnixMicros(m.mtime));
  U64(m.size);
  U8(m.expires ? 1 : 0);
  I64(m.expires ? absl::ToUnixMicros(*m.expires) : 0);
  U64(m.revision);
}
void Writer::StatusOf(const absl::Status& s) {
  U32(static_cast<std::uint32_t>(s.code()));
  Str(ToStd(s.message()));
  std::vector<std::pair<std::string, std::string>> payloads;
  s.ForEachPayload([&](auto type_url, const absl::Cord& value) {
    payloads.emplace_back(std::string(type_url), std::string(value));
  });
  U32(static_cast<std::uint32_t>(payloads.size()));
  for (const auto& [url, value] : payloads) {
    Str(url);
    Str(value);
  }
}
void Writer::Result(const CommitResult& r) {
  U32(static_cast<std::uint32_t>(r.etags.size()));
  for (const std::string& e : r.etags) Str(e);
  U64(r.revision);
}
void Writer::Event(const ChangeEvent& e) {
  U64(e.revision);
  Str(e.key);
  U8(static_cast<std::uint8_t>(e.kind));
  Str(e.etag);
  I64(absl::ToUnixMicros(e.time));
  U64(e.size);
}

bool Reader::Need(std::size_t n) {
  if (!ok_ || in_.size() < n) {
    ok_ = false;
    return false;
  }
  return true;
}
std::uint8_t Reader::U8() {
  if (!Need(1)) return 0;
  std::uint8_t v = static_cast<std::uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return v;
}
std::uint32_t Reader::U32() {
  if (!Need(4)) return 0;
  auto v = static_cast<std::uint32_t>(GetLe(in_.data(), 4));
  in_.remove_prefix(4);
  return v;
}
std::uint64_t Reader::U64() {
  if (!Need(8)) return 0;
  std::uint64_t v = GetLe(in_.data(), 8);
  in_.remove_prefix(8);
  return v;
}
std::string Reader::Str() {
  std::uint32_t n = U32();
  if (!Need(n)) return {};
  std::string s(in_.substr(0, n));
  in_.remove_prefix(n);
  return s;
}
std::optional<std::string> Reader::OptStr() {
  if (U8() == 0) return std::nullopt;
  return Str();
}
Precondition Reader::Pre() {
  Precondition p;
  for (auto* list : {&p.if_match, &p.if_none_match}) {
    if (U8() == 0) continue;
    std::uint32_t n = U32();
    if (n > in_.size()) {  // each entry takes at least 4 bytes
      ok_ = false;
      return p;
    }
    list->emplace();
    for (std::uint32_t i = 0; i < n && ok_; ++i) (*list)->push_back(Str());
  }
  return p;
}
Meta Reader::MetaOf() {
  Meta m;
  m.etag = Str();
  m.mtime = absl::FromUnixMicros(I64());
  m.size = U64();
  bool has_expiry = U8() != 0;
  std::int64_t expires = I64();
  if (has_expiry) m.expires = absl::FromUnixMicros(expires);
  m.revision = U64();
  return m;
}
absl::Status Reader::StatusOf() {
  std::uint32_t code = U32();
  std::string message = Str();
  std::uint32_t n = U32();
  if (!ok_ || code > 16) {
    ok_ = false;
    return absl::InternalError("cask ipc: malformed status");
  }
  absl::Status s(static_cast<absl::StatusCode>(code), ToAbsl(message));
  for (std::uint32_t i = 0; i < n && ok_; ++i) {
    std::string url = Str();
    std::string value = Str();
    if (!s.ok()) s.SetPayload(ToAbsl(url), absl::Cord(value));
  }
  return s;
}
CommitResult Reader::Result() {
  CommitResult r;
  std::uint32_t n = U32();
  if (n > in_.size()) {
    ok_ = false;
    return r;
  }
  for (std::uint32_t i = 0; i < n && ok_; ++i) r.etags.push_back(Str());
  r.revision = U64();
  return r;
}
ChangeEvent Reader::Event() {
  ChangeEvent e;
  e.revision = U64();
  e.key = Str();
  std::uint8_t kind = U8();
  if (kind > static_cast<std::uint8_t>(ChangeKind::kClear)) ok_ = false;
  e.kind = static_cast<ChangeKind>(kind);
  e.etag = Str();
  e.time = absl::FromUnixMicros(I64());
  e.size = U64();
  return e;
}

absl::Status MalformedReply() {
  return absl::InternalError("cask ipc: malformed reply from the owner");
}

absl::StatusOr<Item> DecodeItemReply(const absl::StatusOr<std::string>& reply) {
  if (!reply.ok()) return reply.status();
  Reader r(*reply);
  if (absl::Status s = r.StatusOf(); !s.ok()) return s;
  Item item;
  item.value = r.Str();
  item.meta = r.MetaOf();
  if (!r.done()) return MalformedReply();
  return item;
}

}  // namespace cask::engine::ipc
