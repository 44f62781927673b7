// The CLI's one progress line: its text, and that it is drawn only on a
// terminal (a pseudo-terminal here) and never into a pipe.
#include "progress.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "catch2/catch.hpp"

namespace cask::cli {
namespace {

TEST_CASE("progress line: bytes, keys, rate, percent, ETA", "[progress]") {
  ProgressSnapshot s{"imported", 12u << 20, 4567, absl::Seconds(4), 0.5};
  CHECK(FormatProgress(s) ==
        "imported 12.0 MiB, 4567 keys, 3.0 MiB/s, 50%, ETA 0:04");
  s.fraction = 0.25;
  s.elapsed = absl::Seconds(1000);
  CHECK(FormatProgress(s).find("25%, ETA 50:00") != std::string::npos);
  s.fraction = 0.001;  // too early to tell
  CHECK(FormatProgress(s).find("ETA") == std::string::npos);
  s.fraction.reset();  // total unknown: no percent, no ETA
  CHECK(FormatProgress(s) == "imported 12.0 MiB, 4567 keys, 0.0 MiB/s");
  s = {"exported", 0, 0, absl::ZeroDuration(), 1.0};
  CHECK(FormatProgress(s) == "exported 0.0 MiB, 0 keys, 0.0 MiB/s, 100%");
}

TEST_CASE("progress is drawn on a terminal, never into a pipe", "[progress]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::FILE* pipe_end = fdopen(fds[1], "w");
  {
    Progress p("exported", pipe_end);
    CHECK_FALSE(p.enabled());
    p.Update(1, 1);
    p.Finish(1, 1);
  }
  std::fclose(pipe_end);
  char buf[64];
  CHECK(read(fds[0], buf, sizeof buf) == 0);  // nothing was written
  close(fds[0]);

  int master = posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(grantpt(master) == 0);
  REQUIRE(unlockpt(master) == 0);
  std::FILE* tty = std::fopen(ptsname(master), "w");
  REQUIRE(tty != nullptr);
  {
    Progress p("exported", tty);
    CHECK(p.enabled());
    p.ExpectKeys(4);
    p.Update(1 << 20, 2);
    p.Finish(2 << 20, 4);
  }
  std::fclose(tty);
  std::string seen;
  while (seen.find('\n') == std::string::npos) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  close(master);
  CHECK(seen.find("exported 1.0 MiB, 2 keys") != std::string::npos);
  CHECK(seen.find("50%") != std::string::npos);
  CHECK(seen.find("exported 2.0 MiB, 4 keys") != std::string::npos);
}

}  // namespace
}  // namespace cask::cli
