#include "run_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace cask::testing {

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdin_data,
                         const std::vector<std::string>& extra_env) {
  int in[2], out[2], err[2];
  ProcessResult result;
  if (pipe(in) || pipe(out) || pipe(err)) return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    for (const std::string& e : extra_env) putenv(strdup(e.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::size_t written = 0;
  bool in_open = true;
  if (stdin_data.empty()) {
    close(in[1]);
    in_open = false;
  } else {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3] = {{out[0], POLLIN, 0},
                     {err[0], POLLIN, 0},
                     {in_open ? in[1] : -1, POLLOUT, 0}};
    if (poll(fds, 3, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? result.out : result.err).append(buf, n);
      }
    }
    if (in_open && (fds[2].revents & (POLLOUT | POLLERR))) {
      ssize_t n = write(in[1], stdin_data.data() + written,
                        stdin_data.size() - written);
      if (n > 0) written += n;
      if (n < 0 || written == stdin_data.size()) {
        close(in[1]);
        in_open = false;
      }
    }
  }
  if (in_open) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace cask::testing
