// Runs a libFuzzer target's entry point once on every file of the seed
// directories given as arguments, so that the everyday (non-fuzz) test run
// checks that the seeds still pass the target's checks: a change of the
// format they encode shows up there, not only in the fuzz job. A failed
// check aborts, as in the fuzzer; exit 1 when a directory has no file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(
          reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      std::printf("%s: ok\n", entry.path().filename().c_str());
      ++files;
    }
    if (files == 0) {
      std::fprintf(stderr, "%s: no seed\n", argv[i]);
      return 1;
    }
  }
  return 0;
}
