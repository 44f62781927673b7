#include "fs_journal.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cask/string_view_compat.h"
#include "fs_locks.h"

namespace cask::fs_internal {
namespace {

constexpr char kFirstLine[] = "caskfs-journal 1";

// A path fs_path.h could have made: relative, no empty, "." or ".."
// component, no byte outside the encoded alphabet.
bool SafePath(absl::string_view path) {
  if (path.empty()) return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
                c == '%' || c == '+' || c == '~';
      if (!ok) return false;
    }
  }
  return true;
}

bool SafeName(absl::string_view name) {
  return SafePath(name) && name.find('/') == absl::string_view::npos;
}

}  // namespace

std::string EncodeJournal(const Journal& journal) {
  std::string out = absl::StrCat(kFirstLine, "\nrevision ",
                                 absl::Hex(journal.revision), "\nstripes");
  for (std::size_t s : journal.stripes) absl::StrAppend(&out, " ", s);
  out += '\n';
  for (const JournalOp& op : journal.ops) {
    if (op.put) {
      absl::StrAppend(&out, "put ", op.temp, " ", op.path, "\n");
    } else {
      absl::StrAppend(&out, "del ", op.path, "\n");
    }
  }
  out += "end\n";
  return out;
}

absl::StatusOr<Journal> DecodeJournal(std::string_view text,
                                      std::string_view where) {
  auto damaged = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat("fs store: commit journal \"",
                                            ToAbsl(where),
                                            "\" is damaged: ", ToAbsl(why)));
  };
  if (text.empty() || text.back() != '\n') return damaged("incomplete");
  text.remove_suffix(1);
  std::vector<absl::string_view> lines = absl::StrSplit(ToAbsl(text), '\n');
  if (lines.size() < 4 || lines[0] != kFirstLine) {
    return damaged("not a cask fs journal");
  }
  if (lines.back() != "end") return damaged("incomplete");
  Journal journal;
  absl::string_view rev = lines[1];
  if (rev.substr(0, 9) != "revision " ||
      !absl::SimpleHexAtoi(rev.substr(9), &journal.revision) ||
      journal.revision == 0) {
    return damaged("bad revision line");
  }
  std::vector<absl::string_view> stripes = absl::StrSplit(lines[2], ' ');
  if (stripes[0] != "stripes") return damaged("bad stripes line");
  for (std::size_t i = 1; i < stripes.size(); ++i) {
    std::size_t s = 0;
    if (!absl::SimpleAtoi(stripes[i], &s) || s >= kLockStripes ||
        (!journal.stripes.empty() && s <= journal.stripes.back())) {
      return damaged("bad stripes line");
    }
    journal.stripes.push_back(s);
  }
  for (std::size_t i = 3; i + 1 < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    JournalOp op;
    if (f.size() == 3 && f[0] == "put" && SafeName(f[1]) && SafePath(f[2])) {
      op.put = true;
      op.temp = std::string(f[1]);
      op.path = std::string(f[2]);
    } else if (f.size() == 2 && f[0] == "del" && SafePath(f[1])) {
      op.path = std::string(f[1]);
    } else {
      return damaged(absl::StrCat("bad line ", i + 1));
    }
    journal.ops.push_back(std::move(op));
  }
  if (journal.ops.empty() || journal.stripes.empty()) {
    return damaged("no operations");
  }
  return journal;
}

}  // namespace cask::fs_internal
