// The fs store's commit journal: what a commit is about to do, written
// before it touches data/ so a commit whose process dies part-way can be
// completed by whoever finds it (fs_commit.cc).
//
// A journal is a small text file, renamed whole into .cask/journal/ (the
// commit point); its lines are
//   caskfs-journal 1
//   revision <hex>             the revision every put of the commit carries
//   stripes <s> <s> ...        the lock stripes of its writes, ascending
//   put <temp name> <path>     rename .cask/tmp/<temp name> to data/<path>
//   del <path>                 unlink data/<path>
//   end
// in batch order. Paths are relative to data/ as fs_path.h makes them;
// decoding refuses anything that could leave data/ or .cask/tmp/.
//
// Thread safety: pure functions.
#ifndef CASK_ADAPTERS_FS_FS_JOURNAL_H_
#define CASK_ADAPTERS_FS_FS_JOURNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cask::fs_internal {

struct JournalOp {
  bool put = false;
  std::string temp;  // put only: file name in .cask/tmp/
  std::string path;  // relative to data/
};

struct Journal {
  std::uint64_t revision = 0;
  std::vector<std::size_t> stripes;  // ascending, distinct
  std::vector<JournalOp> ops;
};

std::string EncodeJournal(const Journal& journal);

// kDataLoss (naming `where`) for anything but a complete, well-formed
// journal whose paths stay inside their directories.
absl::StatusOr<Journal> DecodeJournal(std::string_view text,
                                      std::string_view where);

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_JOURNAL_H_
