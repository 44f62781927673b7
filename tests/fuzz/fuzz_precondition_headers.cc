// libFuzzer target: If-Match / If-None-Match parsing
// (adapters/http_protocol/etag_header.h). Input: byte 0 selects which headers
// are present; the rest is split at the first '\n' into the two header values.
// Whatever is accepted must be a valid Precondition, and formatting it back
// must parse to the same one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cask/precondition.h"
#include "etag_header.h"

namespace {

std::string Format(const std::vector<std::string>& tags) {
  std::string out;
  for (const std::string& t : tags) {
    if (!out.empty()) out += ", ";
    out += t == "*" ? std::string("*") : cask::http_protocol::QuoteEtag(t);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t which = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nl = rest.find('\n');
  std::string_view a = rest.substr(0, nl);
  std::string_view b =
      nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  std::optional<std::string_view> im, inm;
  if (which & 1) im = a;
  if (which & 2) inm = b;
  absl::StatusOr<cask::Precondition> p =
      cask::http_protocol::ParsePreconditionHeaders(im, inm);
  if (!p.ok()) return 0;
  if (!cask::ValidatePrecondition(*p).ok()) std::abort();
  std::optional<std::string> fim, finm;
  if (p->if_match) fim = Format(*p->if_match);
  if (p->if_none_match) finm = Format(*p->if_none_match);
  std::optional<std::string_view> vim, vinm;
  if (fim) vim = *fim;
  if (finm) vinm = *finm;
  absl::StatusOr<cask::Precondition> again =
      cask::http_protocol::ParsePreconditionHeaders(vim, vinm);
  if (!again.ok() || !(*again == *p)) std::abort();
  // The evaluator must not crash on anything accepted.
  (void)cask::PreconditionHolds(*p, std::nullopt);
  (void)cask::PreconditionHolds(*p, std::string("etag"));
  return 0;
}
