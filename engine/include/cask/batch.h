// An atomic multi-key commit (docs/contract.md, "Atomic multi-key commit"),
// like a git reference transaction.
//
// A Batch lists puts, deletes and verifies (a precondition with no write),
// each with its own precondition. Driver::Commit applies it all-or-nothing:
// on any failed precondition nothing is written and the error
// (kAborted, see CommitConflictError) lists every failing key. Readers see
// the whole batch or none of it. A key may appear only once per batch.
//
// Thread safety: a Batch is a plain value; build it on one thread.
#ifndef CASK_BATCH_H_
#define CASK_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cask/types.h"

namespace cask {

enum class BatchOpKind { kPut, kDelete, kVerify };

struct BatchOp {
  BatchOpKind kind = BatchOpKind::kPut;
  std::string key;
  std::string value;     // kPut only
  WriteOptions options;  // precondition for all kinds; ttl for kPut only
};

class Batch {
 public:
  Batch& Put(std::string_view key, std::string_view value,
             WriteOptions options = {});
  Batch& Delete(std::string_view key, Precondition precondition = {});
  // A verify must carry a non-empty precondition.
  Batch& Verify(std::string_view key, Precondition precondition);

  const std::vector<BatchOp>& ops() const { return ops_; }
  std::vector<BatchOp>& mutable_ops() { return ops_; }
  bool empty() const { return ops_.empty(); }
  std::size_t size() const { return ops_.size(); }

 private:
  std::vector<BatchOp> ops_;
};

struct CommitResult {
  // One entry per op, in batch order: the new etag of a put, "" otherwise.
  std::vector<std::string> etags;
  // The store-wide revision of the commit; 0 where the store has none.
  std::uint64_t revision = 0;
};

}  // namespace cask

#endif  // CASK_BATCH_H_
