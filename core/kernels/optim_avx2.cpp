// Fused optimizer updates for avx2 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx2
#define TG_ARCH xsimd::fma3<xsimd::avx2>
#include "core/kernels/optim_impl.hpp"

namespace tg::core::kern {
const OptimTable<float>& optim_table_f32_avx2() {
  static const OptimTable<float> t = avx2::optim::make_optim_table<float>();
  return t;
}
const OptimTable<double>& optim_table_f64_avx2() {
  static const OptimTable<double> t = avx2::optim::make_optim_table<double>();
  return t;
}
}  // namespace tg::core::kern
