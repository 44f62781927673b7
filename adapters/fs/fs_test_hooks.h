// Test-only fault injection for the fs store: lets a test fail, or kill
// the process at, a named point of a write, to check what the store
// reports and what a crash there leaves behind. Never set in production;
// when no hook is installed each point costs one relaxed atomic load.
//
// Points:
//   "fsync-dir"        a directory fsync after a file was published (sync
//                      mode only); the write is already visible.
//   "journal-publish"  just before a commit's journal is renamed into
//                      .cask/journal/ (the commit point).
//   "commit-apply"     before each rename / unlink of a commit, after its
//                      commit point.
//
// Thread safety: TEST_SetFaultHook must not race with running writes.
#ifndef CASK_ADAPTERS_FS_FS_TEST_HOOKS_H_
#define CASK_ADAPTERS_FS_FS_TEST_HOOKS_H_

#include <functional>
#include <string_view>

namespace cask::fs_internal {

// Returns 0 to go on, or an errno value that the store then handles as if
// the system call at `point` had failed with it. The hook may also _exit().
using TestFaultHook = std::function<int(std::string_view point)>;

// Installs `hook` for every fs store in this process (nullptr: none).
void TEST_SetFaultHook(TestFaultHook hook);

// What the installed hook says at `point`; 0 without a hook.
int TEST_Fault(std::string_view point);

}  // namespace cask::fs_internal

#endif  // CASK_ADAPTERS_FS_FS_TEST_HOOKS_H_
