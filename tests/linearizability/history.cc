#include "history.h"

#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cask/string_view_compat.h"

namespace cask::lin {
namespace {

constexpr std::string_view kFormatVersion = "lin1";

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kNotFound:
      return "not-found";
    case Outcome::kMismatch:
      return "mismatch";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

// Tokens are C-escaped (so never contain '\t' or '\n') and joined by '\t'.
class TokenWriter {
 public:
  void Add(std::string_view token) {
    if (!out_.empty()) out_.push_back('\t');
    out_ += absl::CEscape(ToAbsl(token));
  }
  void AddInt(std::int64_t n) { Add(absl::StrCat(n)); }
  void AddList(const std::optional<std::vector<std::string>>& list) {
    if (!list) {
      Add("-");
      return;
    }
    AddInt(static_cast<std::int64_t>(list->size()));
    for (const std::string& s : *list) Add(s);
  }
  void AddPrecondition(const Precondition& p) {
    AddList(p.if_match);
    AddList(p.if_none_match);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class TokenReader {
 public:
  explicit TokenReader(std::string_view line)
      : tokens_(absl::StrSplit(ToAbsl(line), '\t')) {}

  bool Next(std::string& out) {
    if (pos_ >= tokens_.size()) return Fail();
    std::string error;
    if (!absl::CUnescape(tokens_[pos_++], &out, &error)) return Fail();
    return true;
  }
  bool NextInt(std::int64_t& out) {
    std::string s;
    return Next(s) && (absl::SimpleAtoi(s, &out) || Fail());
  }
  bool NextCount(std::size_t& out) {
    std::int64_t n = 0;
    if (!NextInt(n) || n < 0 || n > 1'000'000) return Fail();
    out = static_cast<std::size_t>(n);
    return true;
  }
  bool NextList(std::optional<std::vector<std::string>>& out) {
    if (pos_ < tokens_.size() && tokens_[pos_] == "-") {
      ++pos_;
      out.reset();
      return true;
    }
    std::size_t n = 0;
    if (!NextCount(n)) return false;
    out.emplace();
    for (std::size_t i = 0; i < n; ++i) {
      std::string s;
      if (!Next(s)) return false;
      out->push_back(std::move(s));
    }
    return true;
  }
  bool NextPrecondition(Precondition& p) {
    return NextList(p.if_match) && NextList(p.if_none_match);
  }
  bool AtEnd() const { return pos_ == tokens_.size(); }

 private:
  bool Fail() { return false; }
  std::vector<std::string> tokens_;
  std::size_t pos_ = 0;
};

std::string Quote(std::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(ToAbsl(s)), "\"");
}

std::string DescribePreconditionSuffix(const Precondition& p) {
  if (p.empty()) return "";
  return absl::StrCat(", ", DescribePrecondition(p));
}

std::string DescribeBatchEntry(const BatchEntry& e) {
  switch (e.kind) {
    case BatchOpKind::kPut:
      return absl::StrCat("put ", e.key, "=", Quote(e.value),
                          DescribePreconditionSuffix(e.precondition));
    case BatchOpKind::kDelete:
      return absl::StrCat("delete ", e.key,
                          DescribePreconditionSuffix(e.precondition));
    case BatchOpKind::kVerify:
      return absl::StrCat("verify ", e.key,
                          DescribePreconditionSuffix(e.precondition));
  }
  return "?";
}

absl::Status Invalid(const Operation& op, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "malformed history: ", ToAbsl(why), ": ", DescribeOperation(op)));
}

}  // namespace

std::vector<std::string> Operation::Keys() const {
  if (kind != OpKind::kCommit) return {key};
  std::vector<std::string> keys;
  for (const BatchEntry& e : batch) keys.push_back(e.key);
  return keys;
}

absl::Status ValidateHistory(const History& history) {
  for (const Operation& op : history) {
    if (op.ret < op.call) return Invalid(op, "response before call");
    if ((op.ret == kNever) != (op.outcome == Outcome::kUnknown)) {
      return Invalid(op, "ret must be kNever exactly when outcome is unknown");
    }
    if (op.outcome == Outcome::kNotFound && op.kind != OpKind::kGet) {
      return Invalid(op, "not-found outcome for a write");
    }
    if (op.outcome == Outcome::kMismatch && op.kind == OpKind::kGet) {
      return Invalid(op, "mismatch outcome for a get");
    }
    if (op.kind == OpKind::kCommit) {
      if (op.batch.empty()) return Invalid(op, "empty commit");
      std::set<std::string> keys;
      for (const BatchEntry& e : op.batch) {
        if (!keys.insert(e.key).second) return Invalid(op, "duplicate key");
      }
      if (op.outcome == Outcome::kOk) {
        if (op.out_etags.size() != op.batch.size()) {
          return Invalid(op, "commit etags do not match the batch");
        }
        for (std::size_t i = 0; i < op.batch.size(); ++i) {
          if ((op.batch[i].kind == BatchOpKind::kPut) ==
              op.out_etags[i].empty()) {
            return Invalid(op, "a put needs an etag, nothing else has one");
          }
        }
      }
    } else if (op.key.empty()) {
      return Invalid(op, "empty key");
    }
    if (op.outcome == Outcome::kOk && op.out_etag.empty() &&
        (op.kind == OpKind::kSet || op.kind == OpKind::kGet)) {
      return Invalid(op, "no etag");
    }
  }
  return absl::OkStatus();
}

std::string EncodeOperation(const Operation& op) {
  TokenWriter w;
  w.Add(kFormatVersion);
  w.AddInt(op.client);
  w.AddInt(op.call);
  w.AddInt(op.ret);
  w.AddInt(static_cast<int>(op.kind));
  w.Add(op.key);
  w.Add(op.value);
  w.AddPrecondition(op.precondition);
  w.AddInt(static_cast<std::int64_t>(op.batch.size()));
  for (const BatchEntry& e : op.batch) {
    w.AddInt(static_cast<int>(e.kind));
    w.Add(e.key);
    w.Add(e.value);
    w.AddPrecondition(e.precondition);
  }
  w.AddInt(static_cast<int>(op.outcome));
  w.Add(op.out_value);
  w.Add(op.out_etag);
  w.AddInt(static_cast<std::int64_t>(op.out_etags.size()));
  for (const std::string& e : op.out_etags) w.Add(e);
  w.AddInt(op.conflicts_known ? 1 : 0);
  w.AddInt(static_cast<std::int64_t>(op.conflicts.size()));
  for (const ObservedConflict& c : op.conflicts) {
    w.Add(c.key);
    w.AddInt(c.actual ? 1 : 0);
    w.Add(c.actual.value_or(""));
  }
  return w.Take();
}

absl::StatusOr<Operation> DecodeOperation(std::string_view line) {
  TokenReader r(line);
  Operation op;
  std::string version;
  std::int64_t client = 0, kind = 0, outcome = 0, flag = 0;
  std::size_t n = 0;
  bool ok = r.Next(version) && version == kFormatVersion && r.NextInt(client) &&
            r.NextInt(op.call) && r.NextInt(op.ret) && r.NextInt(kind) &&
            kind >= 0 && kind <= 3 && r.Next(op.key) && r.Next(op.value) &&
            r.NextPrecondition(op.precondition) && r.NextCount(n);
  op.client = static_cast<int>(client);
  op.kind = static_cast<OpKind>(kind);
  for (std::size_t i = 0; ok && i < n; ++i) {
    BatchEntry e;
    std::int64_t ekind = 0;
    ok = r.NextInt(ekind) && ekind >= 0 && ekind <= 2 && r.Next(e.key) &&
         r.Next(e.value) && r.NextPrecondition(e.precondition);
    e.kind = static_cast<BatchOpKind>(ekind);
    op.batch.push_back(std::move(e));
  }
  ok = ok && r.NextInt(outcome) && outcome >= 0 && outcome <= 3 &&
       r.Next(op.out_value) && r.Next(op.out_etag) && r.NextCount(n);
  op.outcome = static_cast<Outcome>(outcome);
  for (std::size_t i = 0; ok && i < n; ++i) {
    std::string e;
    ok = r.Next(e);
    op.out_etags.push_back(std::move(e));
  }
  ok = ok && r.NextInt(flag) && r.NextCount(n);
  op.conflicts_known = flag != 0;
  for (std::size_t i = 0; ok && i < n; ++i) {
    ObservedConflict c;
    std::string actual;
    ok = r.Next(c.key) && r.NextInt(flag) && r.Next(actual);
    if (flag) c.actual = std::move(actual);
    op.conflicts.push_back(std::move(c));
  }
  if (!ok || !r.AtEnd()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot decode history line: ", ToAbsl(line)));
  }
  return op;
}

absl::Status WriteHistoryFile(const std::string& path, const History& history) {
  std::ofstream out(path, std::ios::trunc);
  for (const Operation& op : history) out << EncodeOperation(op) << '\n';
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<History> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  History history;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    absl::StatusOr<Operation> op = DecodeOperation(line);
    if (!op.ok()) return op.status();
    history.push_back(*std::move(op));
  }
  return history;
}

std::string DescribeOperation(const Operation& op) {
  std::string input;
  switch (op.kind) {
    case OpKind::kGet:
      input = absl::StrCat("get(", op.key, ")");
      break;
    case OpKind::kSet:
      input = absl::StrCat("set(", op.key, ", ", Quote(op.value),
                           DescribePreconditionSuffix(op.precondition), ")");
      break;
    case OpKind::kRemove:
      input = absl::StrCat("remove(", op.key,
                           DescribePreconditionSuffix(op.precondition), ")");
      break;
    case OpKind::kCommit: {
      std::vector<std::string> parts;
      for (const BatchEntry& e : op.batch)
        parts.push_back(DescribeBatchEntry(e));
      input = absl::StrCat("commit(", absl::StrJoin(parts, "; "), ")");
      break;
    }
  }
  std::string output(OutcomeName(op.outcome));
  if (op.outcome == Outcome::kOk) {
    if (op.kind == OpKind::kGet) {
      absl::StrAppend(&output, " ", Quote(op.out_value), " etag ",
                      Quote(op.out_etag));
    } else if (op.kind == OpKind::kSet) {
      absl::StrAppend(&output, " etag ", Quote(op.out_etag));
    } else if (op.kind == OpKind::kCommit) {
      std::vector<std::string> quoted;
      for (const std::string& e : op.out_etags) quoted.push_back(Quote(e));
      absl::StrAppend(&output, " etags [", absl::StrJoin(quoted, ", "), "]");
    }
  } else if (op.outcome == Outcome::kMismatch && op.conflicts_known) {
    std::vector<std::string> parts;
    for (const ObservedConflict& c : op.conflicts) {
      parts.push_back(absl::StrCat(
          c.key, ": ", c.actual ? Quote(*c.actual) : std::string("absent")));
    }
    absl::StrAppend(&output, " {", absl::StrJoin(parts, ", "), "}");
  }
  std::string ret =
      op.ret == kNever ? std::string("inf") : absl::StrCat(op.ret);
  return absl::StrCat("c", op.client, " [", op.call, ",", ret, "] ", input,
                      " -> ", output);
}

}  // namespace cask::lin
