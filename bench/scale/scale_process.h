// Process-level measurements for bench_scale: resident memory from
// /proc, dropping the OS page cache, and child processes (the RSS probe,
// `cask serve`, curl) whose output the harness reads.
//
// Thread safety: functions are safe to call from any thread; a Child is
// used by one thread.
#ifndef CASK_BENCH_SCALE_SCALE_PROCESS_H_
#define CASK_BENCH_SCALE_SCALE_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace cask::bench {

// VmRSS / VmHWM (peak RSS) of `pid` (0: this process) in KiB; -1 when
// unreadable.
long RssKiB(pid_t pid = 0);
long PeakRssKiB(pid_t pid = 0);
// Resets `pid`'s VmHWM to its current RSS (writes 5 to clear_refs, Linux
// >= 4.0). False when not permitted.
bool ResetPeakRss(pid_t pid);

// sync, then drops the page cache, dentries and inodes
// (/proc/sys/vm/drop_caches, needs root). False when not permitted.
bool DropPageCache();

// A child process with its stdout on a pipe.
class Child {
 public:
  // Starts argv[0] (a path) with `argv`; aborts when it cannot.
  explicit Child(const std::vector<std::string>& argv);
  ~Child();  // SIGTERM if still running, then waits
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of its stdout, without the newline; "" at EOF.
  std::string ReadLine();
  // Waits for it to exit; its exit status (-1 if killed by a signal).
  int Wait();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffered_;
  bool exited_ = false;
};

}  // namespace cask::bench

#endif  // CASK_BENCH_SCALE_SCALE_PROCESS_H_
