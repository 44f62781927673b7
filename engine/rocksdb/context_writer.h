// ContextWriter: the engine as a Driver whose writes carry a WriteContext
// (an outcome record, a forced fsync). The owner of a shared store runs
// other processes' requests through it, so they pass exactly the checks
// of the public Driver methods (keys, preconditions, value limit) and then
// reach the write queue with their context passed explicitly.
//
// Thread safety: as the engine; the context must outlive the writer.
#ifndef CASK_ENGINE_ROCKSDB_CONTEXT_WRITER_H_
#define CASK_ENGINE_ROCKSDB_CONTEXT_WRITER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cask/driver.h"
#include "engine_impl.h"

namespace cask::engine {

class ContextWriter final : public Driver {
 public:
  ContextWriter(EngineImpl* engine, const WriteContext* context)
      : engine_(engine), context_(context) {}

  std::string_view name() const override { return engine_->name(); }
  Capabilities capabilities() const override { return engine_->capabilities(); }

 protected:
  absl::StatusOr<Item> DoGet(const std::string& key) override {
    return engine_->Get(key);
  }
  absl::StatusOr<Meta> DoGetMeta(const std::string& key) override {
    return engine_->GetMeta(key);
  }
  absl::StatusOr<std::vector<std::string>> DoKeys(
      const std::string& base) override {
    return engine_->Keys(base);
  }
  absl::StatusOr<std::string> DoSet(const std::string& key,
                                    std::string_view value,
                                    const WriteOptions& options) override {
    return engine_->SetWith(*context_, key, value, options);
  }
  absl::Status DoRemove(const std::string& key,
                        const Precondition& precondition) override {
    return engine_->RemoveWith(*context_, key, precondition);
  }
  absl::Status DoClear(const std::string& base) override {
    return engine_->ClearWith(*context_, base);
  }
  absl::StatusOr<CommitResult> DoCommit(const Batch& batch) override {
    return engine_->CommitWith(*context_, batch);
  }

 private:
  EngineImpl* const engine_;
  const WriteContext* const context_;
};

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_CONTEXT_WRITER_H_
