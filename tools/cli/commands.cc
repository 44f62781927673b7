#include "commands.h"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "batch_parser.h"
#include "cask/key.h"
#include "cask/quote.h"
#include "cask/status.h"
#include "cask/string_view_compat.h"
#include "exit_codes.h"
#include "nlohmann/json.hpp"
#include "progress.h"

namespace cask::cli {
namespace {

using json = nlohmann::json;

// What the CLI reads from stdin at most when the store sets no value limit
// of its own (docs/cli.md).
constexpr std::uint64_t kMaxStdinBytes = std::uint64_t{1} << 30;
// The longest error message printed, in bytes of the original message.
constexpr std::size_t kMaxErrorLineBytes = 4096;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

bool IsUtf8(std::string_view s) {
  try {
    (void)json(std::string(s)).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

json MetaJson(const std::string& key, const Meta& m) {
  json j = {{"key", key},
            {"etag", m.etag},
            {"size", m.size},
            {"mtime", Rfc3339(m.mtime)},
            {"expires", m.expires ? json(Rfc3339(*m.expires)) : json(nullptr)}};
  if (m.revision) j["revision"] = m.revision;
  return j;
}

void PrintJson(const Context& ctx, const json& j) {
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fprintf(ctx.out, "%s\n", text.c_str());
}

void PrintLine(const Context& ctx, std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), ctx.out);
  std::fputc('\n', ctx.out);
}

// All of `in`, refused with kResourceExhausted as soon as it passes
// `limit` bytes: what is over the limit is never read, let alone held.
absl::StatusOr<std::string> ReadAll(std::FILE* in, std::uint64_t limit,
                                    std::string_view what) {
  std::string data;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) {
    if (n > limit - data.size()) {
      return absl::ResourceExhaustedError(
          absl::StrCat(ToAbsl(what), " on stdin is over the limit of ", limit,
                       " bytes; stopped reading, nothing was written"));
    }
    data.append(buf, n);
  }
  if (std::ferror(in)) return absl::UnavailableError("cannot read stdin");
  return data;
}

// One flag value → etags: `"a", W/"b"` or `a,b` or `*`.
absl::Status AppendEtags(const std::string& value,
                         std::optional<std::vector<std::string>>& side) {
  if (!side) side.emplace();
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    std::string tag(absl::StripAsciiWhitespace(part));
    bool weak = absl::StartsWith(tag, "W/");
    std::string_view body = weak ? std::string_view(tag).substr(2) : tag;
    if (body.size() >= 2 && body.front() == '"' && body.back() == '"') {
      body = body.substr(1, body.size() - 2);
    } else if (!body.empty() && (body.front() == '"' || body.back() == '"')) {
      return absl::InvalidArgumentError(
          absl::StrCat("unbalanced quotes in etag ", QuoteForMessage(tag)));
    }
    side->push_back(absl::StrCat(weak ? "W/" : "", ToAbsl(body)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Precondition> ToPrecondition(const PreconditionFlags& flags) {
  Precondition p;
  for (const std::string& v : flags.if_match) {
    if (absl::Status s = AppendEtags(v, p.if_match); !s.ok()) return s;
  }
  for (const std::string& v : flags.if_none_match) {
    if (absl::Status s = AppendEtags(v, p.if_none_match); !s.ok()) return s;
  }
  return p;
}

// Visits the entries under `base` after page.after, page by page (at most
// 1000 entries held at once), up to page.limit entries (0: all).
template <typename Fn>
absl::Status ForEachScanned(const Context& ctx, const std::string& base,
                            const PageFlags& page, bool values, Fn fn) {
  ScanOptions options;
  options.start_after = page.after;
  options.with_values = values;
  std::uint64_t left = page.limit;
  for (;;) {
    options.limit = left == 0 ? 1000 : std::min<std::uint64_t>(left, 1000);
    absl::StatusOr<ScanPage> got = ctx.store->Scan(base, options);
    if (!got.ok()) return got.status();
    for (const ScanEntry& e : got->entries) fn(e);
    if (left != 0) {
      left -= got->entries.size();
      if (left == 0) return absl::OkStatus();
    }
    if (got->next_after.empty()) return absl::OkStatus();
    options.start_after = std::move(got->next_after);
  }
}

absl::Status RunGet(const Context& ctx, const std::string& key) {
  absl::StatusOr<Item> item = ctx.store->Get(key);
  if (!item.ok()) return item.status();
  if (ctx.json) {
    json j = MetaJson(key, item->meta);
    if (IsUtf8(item->value)) {
      j["value"] = item->value;
    } else {
      j["value_base64"] = absl::Base64Escape(item->value);
    }
    PrintJson(ctx, j);
  } else {
    std::fwrite(item->value.data(), 1, item->value.size(), ctx.out);
  }
  return absl::OkStatus();
}

absl::Status RunMeta(const Context& ctx, const std::string& key) {
  absl::StatusOr<Meta> m = ctx.store->GetMeta(key);
  if (!m.ok()) return m.status();
  if (ctx.json) {
    PrintJson(ctx, MetaJson(key, *m));
    return absl::OkStatus();
  }
  PrintLine(ctx, absl::StrCat("etag: ", m->etag));
  PrintLine(ctx, absl::StrCat("size: ", m->size));
  PrintLine(ctx, absl::StrCat("mtime: ", Rfc3339(m->mtime)));
  PrintLine(ctx, absl::StrCat("expires: ",
                              m->expires ? Rfc3339(*m->expires) : "never"));
  if (m->revision) PrintLine(ctx, absl::StrCat("revision: ", m->revision));
  return absl::OkStatus();
}

absl::Status RunSet(const Context& ctx, const std::string& key,
                    const std::optional<std::string>& value,
                    const PreconditionFlags& flags, double ttl_seconds) {
  absl::StatusOr<Precondition> p = ToPrecondition(flags);
  if (!p.ok()) return p.status();
  if (ttl_seconds < 0) return absl::InvalidArgumentError("--ttl is negative");
  std::string data;
  if (!value || *value == "-") {
    absl::StatusOr<std::string> normalised = NormalizeKey(key);
    if (!normalised.ok()) return normalised.status();
    std::uint64_t limit =
        ctx.store->CapabilitiesFor(*normalised).max_value_bytes;
    absl::StatusOr<std::string> in =
        ReadAll(ctx.in, limit != 0 ? limit : kMaxStdinBytes, "the value");
    if (!in.ok()) return in.status();
    data = *std::move(in);
  } else {
    data = *value;
  }
  WriteOptions options{*p, absl::Seconds(ttl_seconds)};
  absl::StatusOr<std::string> etag = ctx.store->Set(key, data, options);
  if (!etag.ok()) return etag.status();
  if (ctx.json) {
    PrintJson(ctx, {{"key", key}, {"etag", *etag}, {"size", data.size()}});
  } else {
    PrintLine(ctx, *etag);
  }
  return absl::OkStatus();
}

absl::Status RunRemove(const Context& ctx, const std::string& key,
                       const PreconditionFlags& flags) {
  absl::StatusOr<Precondition> p = ToPrecondition(flags);
  if (!p.ok()) return p.status();
  absl::Status s = ctx.store->Remove(key, *p);
  if (s.ok() && ctx.json) PrintJson(ctx, {{"key", key}, {"removed", true}});
  return s;
}

absl::Status RunKeys(const Context& ctx, const std::string& base,
                     const PageFlags& page) {
  if (page.limit == 0 && page.after.empty()) {
    absl::StatusOr<std::vector<std::string>> keys = ctx.store->Keys(base);
    if (!keys.ok()) return keys.status();
    if (ctx.json) {
      PrintJson(ctx, *keys);
    } else {
      for (const std::string& k : *keys) PrintLine(ctx, k);
    }
    return absl::OkStatus();
  }
  json list = json::array();
  absl::Status s =
      ForEachScanned(ctx, base, page, false, [&](const ScanEntry& e) {
        if (ctx.json) {
          list.push_back(e.key);
        } else {
          PrintLine(ctx, e.key);
        }
      });
  if (s.ok() && ctx.json) PrintJson(ctx, list);
  return s;
}

absl::Status RunScan(const Context& ctx, const std::string& base,
                     const PageFlags& page, bool values) {
  return ForEachScanned(ctx, base, page, values, [&](const ScanEntry& e) {
    if (ctx.json) {
      // One JSON object per line: the output streams, whatever the size.
      json j = MetaJson(e.key, e.meta);
      if (values) {
        if (IsUtf8(e.value)) {
          j["value"] = e.value;
        } else {
          j["value_base64"] = absl::Base64Escape(e.value);
        }
      }
      PrintJson(ctx, j);
      return;
    }
    std::string line =
        absl::StrCat(e.key, "\t", e.meta.etag, "\t", e.meta.size);
    if (values) {
      // C escapes either way, so one unescape gives the bytes back; UTF-8
      // text keeps its characters readable.
      absl::StrAppend(&line, "\t",
                      IsUtf8(e.value) ? absl::Utf8SafeCEscape(ToAbsl(e.value))
                                      : absl::CEscape(ToAbsl(e.value)));
    }
    PrintLine(ctx, line);
  });
}

absl::Status RunClear(const Context& ctx, const std::string& base) {
  absl::Status s = ctx.store->Clear(base);
  if (s.ok() && ctx.json) PrintJson(ctx, {{"cleared", base}});
  return s;
}

absl::Status RunCommit(const Context& ctx) {
  absl::StatusOr<std::string> text =
      ReadAll(ctx.in, kMaxStdinBytes, "the commit input");
  if (!text.ok()) return text.status();
  absl::StatusOr<Batch> batch = ParseBatch(*text);
  if (!batch.ok()) return batch.status();
  absl::StatusOr<CommitResult> r = ctx.store->Commit(*batch);
  if (!r.ok()) return r.status();
  json results = json::array();
  for (std::size_t i = 0; i < batch->size(); ++i) {
    const BatchOp& op = batch->ops()[i];
    const char* kind = op.kind == BatchOpKind::kPut      ? "put"
                       : op.kind == BatchOpKind::kDelete ? "delete"
                                                         : "verify";
    if (ctx.json) {
      results.push_back({{"op", kind}, {"key", op.key}, {"etag", r->etags[i]}});
    } else {
      PrintLine(ctx, absl::StrCat(kind, " ", op.key,
                                  r->etags[i].empty() ? "" : " ", r->etags[i]));
    }
  }
  if (ctx.json) {
    json j = {{"results", results}};
    if (r->revision) j["revision"] = r->revision;
    PrintJson(ctx, j);
  }
  return absl::OkStatus();
}

void ReportError(const Context& ctx, const absl::Status& status) {
  // A store's message may carry a backend's text or a caller's bytes: the
  // line on stderr stays one short, printable line.
  std::string message =
      EscapeForMessage(ToStd(status.message()), kMaxErrorLineBytes);
  std::fprintf(stderr, "cask: %s: %s\n",
               absl::StatusCodeToString(status.code()).c_str(),
               message.c_str());
  if (!ctx.json) return;
  json j = {{"error",
             {{"code", absl::StatusCodeToString(status.code())},
              {"message", message},
              {"exit", static_cast<int>(ExitCodeFor(status))}}}};
  if (IsCasMismatch(status)) {
    json conflicts = json::array();
    for (const Conflict& c : Conflicts(status)) {
      conflicts.push_back(
          {{"key", c.key},
           {"expected", c.expected},
           {"actual", c.actual ? json(*c.actual) : json(nullptr)}});
    }
    j["error"]["conflicts"] = conflicts;
  }
  PrintJson(ctx, j);
}

}  // namespace cask::cli
