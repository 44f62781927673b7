// A check of RocksDB's write-ahead logs before they are replayed.
//
// RocksDB's kTolerateCorruptedTailRecords accepts one incomplete record at
// the end of a WAL (a write torn by a crash). But a damaged record header
// in the last, partly filled block looks the same to it as a torn tail
// ("bad record length" at end of file), and RocksDB then silently drops
// every record after it: acknowledged writes lost, and their revisions
// issued again. The rule here is the one the engine promises: a damaged
// record is acceptable only if nothing valid follows it in its file.
//
// The WAL format (RocksDB's db/log_format.h, documented on its wiki): the
// file is a sequence of 32 KiB blocks; a record is checksum:4 (masked
// CRC32C of type and payload), length:2, type:1 [, log number:4 for the
// recyclable types], payload; a block's last < 7 bytes are zero padding.
//
// Thread safety: pure functions.
#ifndef CASK_ENGINE_ROCKSDB_WAL_CHECK_H_
#define CASK_ENGINE_ROCKSDB_WAL_CHECK_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cask::engine {

// Checks every WAL (*.log) in `dir`. kDataLoss (naming the file and the
// offset) when a damaged record is followed by a valid one; OK otherwise,
// including a torn final record or zero-filled preallocation at the end.
absl::Status CheckWals(const std::string& dir);

// The same check of one WAL's bytes; `name` is for the message.
absl::Status CheckWal(std::string_view bytes, std::string_view name);

}  // namespace cask::engine

#endif  // CASK_ENGINE_ROCKSDB_WAL_CHECK_H_
