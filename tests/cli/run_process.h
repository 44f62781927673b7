// Runs a program with arguments and stdin, capturing stdout, stderr and
// the exit code: how the CLI tests drive the real `cask` binary.
#ifndef CASK_TESTS_CLI_RUN_PROCESS_H_
#define CASK_TESTS_CLI_RUN_PROCESS_H_

#include <string>
#include <vector>

namespace cask::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
  std::string err;
};

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdin_data = "",
                         const std::vector<std::string>& extra_env = {});

}  // namespace cask::testing

#endif  // CASK_TESTS_CLI_RUN_PROCESS_H_
