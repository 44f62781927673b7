// libFuzzer target: the body of `POST /_cask/commit` (tools/server/
// json_codec.h, ParseBatch), the JSON a network client sends to cask serve.
// Whatever it rejects is kInvalidArgument with a short message; whatever it
// accepts is a batch of well-formed operations that, written back as JSON
// (values in base64), parses to the same batch.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "cask/batch.h"
#include "json_codec.h"
#include "nlohmann/json.hpp"

namespace {

using Json = nlohmann::json;

// Keys and etags are bytes; nlohmann needs UTF-8 to dump them, so they go
// back in base64 when they are not (and then the round trip is skipped).
bool Utf8(const std::string& s) {
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

std::optional<std::string> Encode(const cask::Batch& batch) {
  Json ops = Json::array();
  for (const cask::BatchOp& op : batch.ops()) {
    Json j;
    j["op"] = op.kind == cask::BatchOpKind::kPut      ? "put"
              : op.kind == cask::BatchOpKind::kDelete ? "delete"
                                                      : "verify";
    if (!Utf8(op.key)) return std::nullopt;
    j["key"] = op.key;
    if (op.kind == cask::BatchOpKind::kPut) {
      j["value_base64"] = absl::Base64Escape(op.value);
    }
    const cask::Precondition& p = op.options.precondition;
    for (const auto& [name, side] :
         {std::pair{"if_match", &p.if_match},
          std::pair{"if_none_match", &p.if_none_match}}) {
      if (!*side) continue;
      for (const std::string& tag : **side) {
        if (!Utf8(tag)) return std::nullopt;
      }
      j[name] = **side;
    }
    ops.push_back(std::move(j));
  }
  return Json{{"ops", ops}}.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cask::Batch> batch = cask::server::ParseBatch(body);
  if (!batch.ok()) {
    if (batch.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
    // Messages echo at most one quoted key, however long the body is.
    if (batch.status().message().size() > 1024) std::abort();
    return 0;
  }
  for (const cask::BatchOp& op : batch->ops()) {
    if (op.kind != cask::BatchOpKind::kPut &&
        (!op.value.empty() || op.options.ttl != absl::ZeroDuration())) {
      std::abort();
    }
    if (op.options.ttl < absl::ZeroDuration()) std::abort();
  }
  std::optional<std::string> again = Encode(*batch);
  if (!again) return 0;
  absl::StatusOr<cask::Batch> reparsed = cask::server::ParseBatch(*again);
  if (!reparsed.ok() || reparsed->size() != batch->size()) std::abort();
  for (std::size_t i = 0; i < batch->size(); ++i) {
    const cask::BatchOp& a = batch->ops()[i];
    const cask::BatchOp& b = reparsed->ops()[i];
    if (a.kind != b.kind || a.key != b.key || a.value != b.value ||
        a.options.precondition.if_match != b.options.precondition.if_match ||
        a.options.precondition.if_none_match !=
            b.options.precondition.if_none_match) {
      std::abort();
    }
  }
  return 0;
}
