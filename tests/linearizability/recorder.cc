#include "recorder.h"

#include <time.h>

#include <utility>

#include "cask/status.h"

namespace cask::lin {

std::int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void Recorder::BeginWrite(Operation& op) {
  op.client = client_;
  if (sink_) {
    Operation pending = op;
    pending.outcome = Outcome::kUnknown;
    pending.ret = kNever;
    pending.call = MonotonicNanos();
    sink_(RecordEvent::kCall, pending);
  }
  op.call = MonotonicNanos();
}

void Recorder::FinishWrite(const absl::Status& status, Operation op) {
  op.ret = MonotonicNanos();
  if (status.ok()) {
    op.outcome = Outcome::kOk;
  } else if (status.code() == absl::StatusCode::kUnavailable) {
    if (sink_) sink_(RecordEvent::kDropped, op);
    return;
  } else if (IsCasMismatch(status)) {
    op.outcome = Outcome::kMismatch;
    for (Conflict& c : Conflicts(status)) {
      op.conflicts.push_back(ObservedConflict{c.key, std::move(c.actual)});
    }
    op.conflicts_known = !op.conflicts.empty();
  } else {
    if (status.code() != absl::StatusCode::kUnknown) {
      unexpected_.push_back(status.ToString());
    }
    op.outcome = Outcome::kUnknown;
    op.ret = kNever;
  }
  if (sink_) sink_(RecordEvent::kDone, op);
  history_.push_back(std::move(op));
}

absl::StatusOr<Item> Recorder::Get(const std::string& key) {
  Operation op;
  op.client = client_;
  op.kind = OpKind::kGet;
  op.key = key;
  op.call = MonotonicNanos();
  absl::StatusOr<Item> item = store_.Get(key);
  op.ret = MonotonicNanos();
  if (item.ok()) {
    op.outcome = Outcome::kOk;
    op.out_value = item->value;
    op.out_etag = item->meta.etag;
  } else if (item.status().code() == absl::StatusCode::kNotFound) {
    op.outcome = Outcome::kNotFound;
  } else {
    if (item.status().code() != absl::StatusCode::kUnavailable &&
        item.status().code() != absl::StatusCode::kUnknown) {
      unexpected_.push_back(item.status().ToString());
    }
    return item;
  }
  if (sink_) sink_(RecordEvent::kDone, op);
  history_.push_back(std::move(op));
  return item;
}

absl::StatusOr<std::string> Recorder::Set(const std::string& key,
                                          const std::string& value,
                                          const Precondition& precondition) {
  Operation op;
  op.client = client_;
  op.kind = OpKind::kSet;
  op.key = key;
  op.value = value;
  op.precondition = precondition;
  WriteOptions options;
  options.precondition = precondition;
  BeginWrite(op);
  absl::StatusOr<std::string> etag = store_.Set(key, value, options);
  if (etag.ok()) op.out_etag = *etag;
  FinishWrite(etag.status(), std::move(op));
  return etag;
}

absl::Status Recorder::Remove(const std::string& key,
                              const Precondition& precondition) {
  Operation op;
  op.client = client_;
  op.kind = OpKind::kRemove;
  op.key = key;
  op.precondition = precondition;
  BeginWrite(op);
  absl::Status status = store_.Remove(key, precondition);
  FinishWrite(status, std::move(op));
  return status;
}

absl::StatusOr<CommitResult> Recorder::Commit(
    const std::vector<BatchEntry>& entries) {
  Operation op;
  op.client = client_;
  op.kind = OpKind::kCommit;
  op.batch = entries;
  Batch batch;
  for (const BatchEntry& e : entries) {
    switch (e.kind) {
      case BatchOpKind::kPut: {
        WriteOptions options;
        options.precondition = e.precondition;
        batch.Put(e.key, e.value, options);
        break;
      }
      case BatchOpKind::kDelete:
        batch.Delete(e.key, e.precondition);
        break;
      case BatchOpKind::kVerify:
        batch.Verify(e.key, e.precondition);
        break;
    }
  }
  BeginWrite(op);
  absl::StatusOr<CommitResult> result = store_.Commit(batch);
  if (result.ok()) op.out_etags = result->etags;
  FinishWrite(result.status(), std::move(op));
  return result;
}

}  // namespace cask::lin
