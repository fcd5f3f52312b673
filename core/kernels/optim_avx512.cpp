// Fused optimizer updates for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx512
#define TG_ARCH xsimd::avx512bw
#include "core/kernels/optim_impl.hpp"

namespace tg::core::kern {
const OptimTable<float>& optim_table_f32_avx512() {
  static const OptimTable<float> t = avx512::optim::make_optim_table<float>();
  return t;
}
const OptimTable<double>& optim_table_f64_avx512() {
  static const OptimTable<double> t = avx512::optim::make_optim_table<double>();
  return t;
}
}  // namespace tg::core::kern
