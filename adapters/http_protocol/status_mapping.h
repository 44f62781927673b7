// The one mapping between cask status codes and HTTP statuses, both ways.
// The server maps a status to an HTTP status; a client maps an HTTP status
// back when the answer carries no JSON error body naming the code.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_HTTP_PROTOCOL_STATUS_MAPPING_H_
#define CASK_ADAPTERS_HTTP_PROTOCOL_STATUS_MAPPING_H_

#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace cask::http_protocol {

// Status -> HTTP status: OK 200, kNotFound 404, kInvalidArgument 400,
// kAborted 412, kUnimplemented 501, kUnavailable 503, kResourceExhausted
// 413 (507 when the message says the disk is full), kOutOfRange 410,
// kDataLoss 500, kUnknown 502, kUnauthenticated 401, kPermissionDenied 403,
// kDeadlineExceeded 504, kAlreadyExists / kFailedPrecondition 409,
// anything else 500.
int HttpStatusFor(const absl::Status& status);

// HTTP status -> code, for an answer without cask's JSON error body.
// `write`: the request changes the store (a 504 then means the outcome is
// unknown, kUnknown, instead of kDeadlineExceeded).
absl::StatusCode CodeForHttpStatus(long http_status, bool write);

// "ABORTED" / "NOT_FOUND" (absl::StatusCodeToString) -> the code.
std::optional<absl::StatusCode> CodeFromName(std::string_view name);

// The reason phrase for `http_status` ("Precondition Failed"); "Error" for
// one this protocol never sends.
std::string_view ReasonPhrase(int http_status);

}  // namespace cask::http_protocol

#endif  // CASK_ADAPTERS_HTTP_PROTOCOL_STATUS_MAPPING_H_
