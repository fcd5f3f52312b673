#include "nn/initializers.hpp"

#include <cmath>
#include <mutex>

namespace tg::nn {

std::pair<double, double> compute_fans(const Shape& s) {
  if (s.rank() < 1) return {1, 1};
  if (s.rank() == 1) return {static_cast<double>(s[0]), static_cast<double>(s[0])};
  if (s.rank() == 2) return {static_cast<double>(s[0]), static_cast<double>(s[1])};
  // Convolution kernels: (..spatial.., in, out).
  double receptive = 1;
  for (int d = 0; d < s.rank() - 2; ++d) receptive *= static_cast<double>(s[d]);
  return {receptive * static_cast<double>(s[s.rank() - 2]), receptive * static_cast<double>(s[s.rank() - 1])};
}

namespace {
const char* known[] = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
                       "zeros", "ones"};

// Normal(0, stddev) truncated to two standard deviations, by rejection.
Tensor truncated_normal(const Shape& shape, double stddev, Generator& gen, DType dtype) {
  Tensor t(shape, DType::float64);
  double* p = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    double z;
    do z = gen.next_normal();
    while (std::fabs(z) > 2.0);
    p[i] = z * stddev;
  }
  return t.to(dtype);
}
}  // namespace

void check_initializer(const std::string& initializer, const std::string& context) {
  for (const char* k : known)
    if (initializer == k) return;
  std::string list;
  for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
  fail(context, ": unknown initializer '", initializer, "'; expected one of: ", list);
}

Tensor initialize(const std::string& init, const Shape& shape, Generator& gen, DType dtype) {
  check_initializer(init, "initialize");
  if (init == "zeros") return Tensor::zeros(shape, dtype);
  if (init == "ones") return Tensor::ones(shape, dtype);
  const auto [fan_in, fan_out] = compute_fans(shape);
  // Keras VarianceScaling: scale / fan, uniform limit sqrt(3 * variance), truncated normal
  // stddev sqrt(variance) / 0.87962566103423978 (the std of a unit normal truncated at 2).
  double scale = 1, fan = fan_in;
  if (init.rfind("glorot", 0) == 0) fan = (fan_in + fan_out) / 2;
  if (init.rfind("he", 0) == 0) scale = 2;
  const double variance = scale / std::max(1.0, fan);
  if (init.find("uniform") != std::string::npos) {
    const double limit = std::sqrt(3 * variance);
    return Tensor::uniform(shape, -limit, limit, gen, DType::float64).to(dtype);
  }
  return truncated_normal(shape, std::sqrt(variance) / 0.87962566103423978, gen, dtype);
}

namespace {
std::mutex seed_mu;
Generator& generator_storage() {
  static Generator g(1337);
  return g;
}
}  // namespace

Generator& global_generator() { return generator_storage(); }

void set_random_seed(std::uint64_t seed) {
  std::lock_guard lock(seed_mu);
  generator_storage() = Generator(seed);
}

}  // namespace tg::nn
