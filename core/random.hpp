#pragma once
// A seeded, counter-based generator (SplitMix64 stream): the same seed gives the same sequence on
// every machine and at every thread count, because draws are made sequentially by the caller.
#include <cstdint>

namespace tg {

// SplitMix64: draw k (k >= 1) from state s is splitmix64_mix(s + k * splitmix64_step). Exposed for
// kernels that make many draws at once (dropout masks, vectorised per ISA).
inline constexpr std::uint64_t splitmix64_step = 0x9E3779B97F4A7C15ULL;
inline constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next_u64() { return mix(state_ += golden); }
  // Skips n draws: what n calls of next_u64() would do. A caller that makes those draws itself,
  // out of order or in parallel, reads seed_state() first (draw k is splitmix64_mix(state + k *
  // splitmix64_step)), as core::dropout does.
  void discard(std::uint64_t n) { state_ += n * golden; }
  // Uniform in [0, 1) with 53 random bits.
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; both values of a pair are used).
  double next_normal();
  // Uniform integer in [0, n).
  std::uint64_t next_below(std::uint64_t n);
  std::uint64_t seed_state() const { return state_; }

 private:
  static constexpr std::uint64_t golden = splitmix64_step;
  static std::uint64_t mix(std::uint64_t z) { return splitmix64_mix(z); }
  std::uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace tg
