// The store directory's Unix domain socket (docs/processes.md): its
// address, connecting, and whole-frame reads and writes. Internal.
//
// A path too long for sun_path is reached through
// /proc/self/fd/<directory fd>/cask.sock (Linux only).
#ifndef CASK_ENGINE_ROCKSDB_IPC_SOCKET_H_
#define CASK_ENGINE_ROCKSDB_IPC_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ipc_wire.h"

namespace cask::engine::ipc {

// The socket's address for the store directory `dir`; `*dir_fd` is set to
// a directory descriptor the caller closes once done with the address (-1
// when the plain path fits).
absl::StatusOr<std::string> SocketAddress(const std::string& dir, int* dir_fd);

// A connected socket (close-on-exec), or kUnavailable.
absl::StatusOr<int> ConnectSocket(const std::string& dir);

// Reads exactly n bytes; false at EOF or on an error.
bool ReadFull(int fd, char* buf, std::size_t n);
// Writes all of `data` before `deadline`; false on an error or when the
// deadline passed (then some of it may have been written).
bool WriteAll(int fd, std::string_view data,
              absl::Time deadline = absl::InfiniteFuture());
// Sends one frame (header + payload), as WriteAll. REQUIRES: payload.size()
// <= kMaxPayload.
bool SendFrame(int fd, Type type, std::uint64_t call, std::string_view payload,
               absl::Time deadline = absl::InfiniteFuture());

// Sends one frame with the descriptor `pass_fd` attached (SCM_RIGHTS), as
// SendFrame. REQUIRES: payload.size() < 64 KiB.
bool SendFrameWithFd(int fd, Type type, std::uint64_t call,
                     std::string_view payload, int pass_fd,
                     absl::Time deadline);
// Receives one whole frame and the descriptor attached to it, if any
// (*got_fd = -1 when none; the caller closes it, also after false). False
// on EOF, an error,
// a header CheckHeader refuses, or when the deadline passes.
bool ReceiveFrameWithFd(int fd, Header* header, std::string* payload,
                        int* got_fd, absl::Time deadline);

}  // namespace cask::engine::ipc

#endif  // CASK_ENGINE_ROCKSDB_IPC_SOCKET_H_
