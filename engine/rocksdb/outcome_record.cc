// Outcome records (outcome_record.h) and EngineImpl's access to them.
#include "outcome_record.h"

#include <memory>
#include <utility>

#include "engine_impl.h"
#include "rocksdb_status.h"

namespace cask::engine {
namespace {

void PutLe(std::string* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

// Reads little-endian fields; any read past the end clears ok.
class LeReader {
 public:
  explicit LeReader(std::string_view in) : in_(in) {}
  std::uint64_t Get(int bytes) {
    if (!ok || in_.size() < static_cast<std::size_t>(bytes)) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[i]))
           << (8 * i);
    }
    in_.remove_prefix(bytes);
    return v;
  }
  std::string Bytes(std::uint64_t n) {
    if (!ok || in_.size() < n) {
      ok = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool done() const { return ok && in_.empty(); }
  std::size_t left() const { return in_.size(); }
  bool ok = true;

 private:
  std::string_view in_;
};

absl::Status Malformed() {
  return absl::DataLossError("cask engine: malformed outcome record");
}

}  // namespace

std::string EncodeOutcomeRecord(const CommitResult& result,
                                std::int64_t written_micros) {
  std::string out;
  PutLe(&out, 1, 1);
  PutLe(&out, static_cast<std::uint64_t>(written_micros), 8);
  PutLe(&out, result.etags.size(), 4);
  for (const std::string& etag : result.etags) {
    PutLe(&out, etag.size(), 4);
    out += etag;
  }
  PutLe(&out, result.revision, 8);
  return out;
}

absl::StatusOr<OutcomeRecord> DecodeOutcomeRecord(std::string_view bytes) {
  LeReader r(bytes);
  OutcomeRecord record;
  if (r.Get(1) != 1) return Malformed();
  record.written = absl::FromUnixMicros(static_cast<std::int64_t>(r.Get(8)));
  std::uint64_t n = r.Get(4);
  if (n > r.left()) return Malformed();  // each etag takes >= 4 bytes
  for (std::uint64_t i = 0; i < n && r.ok; ++i) {
    record.result.etags.push_back(r.Bytes(r.Get(4)));
  }
  record.result.revision = r.Get(8);
  if (!r.done()) return Malformed();
  return record;
}

absl::StatusOr<std::optional<CommitResult>> EngineImpl::ReadOutcome(
    const std::string& key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), sys_cf_, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "read an outcome record");
  absl::StatusOr<OutcomeRecord> record = DecodeOutcomeRecord(value);
  if (!record.ok()) return record.status();
  return std::move(record->result);
}

absl::Status EngineImpl::DropOutcomes(const std::string& begin,
                                      const std::string& end) {
  rocksdb::Status s =
      db_->DeleteRange(rocksdb::WriteOptions(), sys_cf_, begin, end);
  if (!s.ok()) return FromRocks(s, "drop outcome records");
  return absl::OkStatus();
}

absl::Status EngineImpl::DropOutcomeKeys(const std::vector<std::string>& keys) {
  rocksdb::WriteBatch batch;
  for (const std::string& key : keys) batch.Delete(sys_cf_, key);
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return FromRocks(s, "drop outcome records");
  return absl::OkStatus();
}

absl::StatusOr<std::uint64_t> EngineImpl::DropOutcomesBefore(
    const std::string& prefix, absl::Time cutoff) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), sys_cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    absl::StatusOr<OutcomeRecord> record = DecodeOutcomeRecord(
        std::string_view(it->value().data(), it->value().size()));
    // A malformed record is of no use to a retry either.
    if (!record.ok() || record->written < cutoff)
      batch.Delete(sys_cf_, it->key());
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), "scan outcome records");
  }
  if (batch.Count() == 0) return 0;
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return FromRocks(s, "drop outcome records");
  return batch.Count();
}

absl::StatusOr<std::uint64_t> EngineImpl::CountOutcomes(
    const std::string& prefix) {
  std::uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), sys_cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    ++n;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), "count outcome records");
  }
  return n;
}

}  // namespace cask::engine
