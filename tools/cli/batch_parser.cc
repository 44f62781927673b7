#include "batch_parser.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cask/quote.h"
#include "cask/string_view_compat.h"

namespace cask::cli {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

absl::StatusOr<std::vector<std::string>> TokenizeLine(std::string_view line) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) return tokens;
    std::string token;
    if (line[i] != '"') {
      while (i < line.size() && !IsBlank(line[i])) token.push_back(line[i++]);
      tokens.push_back(std::move(token));
      continue;
    }
    ++i;  // opening quote
    bool closed = false;
    while (i < line.size()) {
      char c = line[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        token.push_back(c);
        continue;
      }
      if (i == line.size()) break;
      char e = line[i++];
      switch (e) {
        case '\\':
          token.push_back('\\');
          break;
        case '"':
          token.push_back('"');
          break;
        case 'n':
          token.push_back('\n');
          break;
        case 'r':
          token.push_back('\r');
          break;
        case 't':
          token.push_back('\t');
          break;
        case '0':
          token.push_back('\0');
          break;
        case 'x': {
          int hi = i < line.size() ? Hex(line[i]) : -1;
          int lo = i + 1 < line.size() ? Hex(line[i + 1]) : -1;
          if (hi < 0 || lo < 0) {
            return absl::InvalidArgumentError("bad \\x escape");
          }
          token.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          break;
        }
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("unknown escape character after \\: ",
                           QuoteForMessage(std::string(1, e))));
      }
    }
    if (!closed) return absl::InvalidArgumentError("unterminated quote");
    if (i < line.size() && !IsBlank(line[i])) {
      return absl::InvalidArgumentError("text right after a closing quote");
    }
    tokens.push_back(std::move(token));
  }
}

absl::StatusOr<Batch> ParseBatch(std::string_view text) {
  Batch batch;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(ToAbsl(text), '\n')) {
    ++number;
    std::string_view line = ToStd(raw);
    auto fail = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("commit input line ", number, ": ", ToAbsl(why)));
    };
    absl::StatusOr<std::vector<std::string>> tokens = TokenizeLine(line);
    if (!tokens.ok()) return fail(ToStd(tokens.status().message()));
    // A quoted empty first token ("") is no comment and no operation.
    if (tokens->empty() ||
        (!(*tokens)[0].empty() && (*tokens)[0].front() == '#')) {
      continue;
    }
    const std::vector<std::string>& t = *tokens;
    const std::string& op = t[0];
    if (op == "create" && t.size() == 3) {
      batch.Put(t[1], t[2], WriteOptions{Precondition::CreateOnly()});
    } else if (op == "update" && (t.size() == 3 || t.size() == 4)) {
      WriteOptions options;
      if (t.size() == 4) options.precondition = Precondition::IfMatch(t[3]);
      batch.Put(t[1], t[2], options);
    } else if (op == "delete" && (t.size() == 2 || t.size() == 3)) {
      batch.Delete(
          t[1], t.size() == 3 ? Precondition::IfMatch(t[2]) : Precondition{});
    } else if (op == "verify" && (t.size() == 2 || t.size() == 3)) {
      batch.Verify(t[1], t.size() == 3 ? Precondition::IfMatch(t[2])
                                       : Precondition::CreateOnly());
    } else if (op == "create" || op == "update" || op == "delete" ||
               op == "verify") {
      return fail(absl::StrCat("wrong number of arguments for ", op));
    } else {
      return fail(absl::StrCat("unknown operation ", QuoteForMessage(op),
                               " (create, update, delete, verify)"));
    }
  }
  return batch;
}

}  // namespace cask::cli
