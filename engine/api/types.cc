#include "cask/types.h"

#include "cask/batch.h"

namespace cask {

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kPut:
      return "put";
    case ChangeKind::kDelete:
      return "delete";
    case ChangeKind::kExpire:
      return "expire";
    case ChangeKind::kClear:
      return "clear";
  }
  return "unknown";
}

Batch& Batch::Put(std::string_view key, std::string_view value,
                  WriteOptions options) {
  ops_.push_back(BatchOp{BatchOpKind::kPut, std::string(key),
                         std::string(value), std::move(options)});
  return *this;
}

Batch& Batch::Delete(std::string_view key, Precondition precondition) {
  ops_.push_back(BatchOp{BatchOpKind::kDelete, std::string(key), "",
                         WriteOptions{std::move(precondition)}});
  return *this;
}

Batch& Batch::Verify(std::string_view key, Precondition precondition) {
  ops_.push_back(BatchOp{BatchOpKind::kVerify, std::string(key), "",
                         WriteOptions{std::move(precondition)}});
  return *this;
}

}  // namespace cask
