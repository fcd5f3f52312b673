#pragma once
// A seeded, counter-based generator (SplitMix64 stream): the same seed gives the same sequence on
// every machine and at every thread count, because draws are made sequentially by the caller.
#include <cstdint>

namespace tg {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next_u64() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; both values of a pair are used).
  double next_normal();
  // Uniform integer in [0, n).
  std::uint64_t next_below(std::uint64_t n);
  std::uint64_t seed_state() const { return state_; }

 private:
  std::uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace tg
