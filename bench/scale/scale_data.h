// The data set of bench_scale: key i is "objects:<16 hex digits>", a
// hash of i (so keys arrive in random order, like content-addressed
// objects), and its value 100 incompressible bytes derived from i. Both
// stores load exactly the same sequence.
//
// Thread safety: pure functions.
#ifndef CASK_BENCH_SCALE_SCALE_DATA_H_
#define CASK_BENCH_SCALE_SCALE_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace cask::bench {

inline constexpr std::size_t kValueBytes = 100;
inline constexpr char kBase[] = "objects";

std::uint64_t Mix(std::uint64_t x);  // splitmix64's finaliser
std::string KeyOf(std::uint64_t i);
std::string ValueOf(std::uint64_t i);

// A small, fast generator for picking keys uniformly.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() { return Mix(state_ += 0x9e3779b97f4a7c15ull); }
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_;
};

}  // namespace cask::bench

#endif  // CASK_BENCH_SCALE_SCALE_DATA_H_
