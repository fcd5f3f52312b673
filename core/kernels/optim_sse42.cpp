// Fused optimizer updates for sse42 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS sse42
#define TG_ARCH xsimd::sse4_2
#include "core/kernels/optim_impl.hpp"

namespace tg::core::kern {
const OptimTable<float>& optim_table_f32_sse42() {
  static const OptimTable<float> t = sse42::optim::make_optim_table<float>();
  return t;
}
const OptimTable<double>& optim_table_f64_sse42() {
  static const OptimTable<double> t = sse42::optim::make_optim_table<double>();
  return t;
}
}  // namespace tg::core::kern
