// GEMM micro-kernels for sse42 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_GEMM_NS gemm_sse42
#define TG_GEMM_ARCH xsimd::sse4_2
#include "core/kernels/gemm_kernel.hpp"

namespace tg::core::gemm_detail {
const KernelSet<float>& gemm_kernels_f32_sse42() {
  static constexpr KernelSet<float> k{gemm_sse42::make_family<float, 6, 2>(), gemm_sse42::make_family<float, 12, 1>(),
                                      &gemm_sse42::pack_t_scalar<float>, gemm_sse42::make_family<float, 6, 2>()};
  return k;
}
const KernelSet<double>& gemm_kernels_f64_sse42() {
  static constexpr KernelSet<double> k{gemm_sse42::make_family<double, 6, 2>(), gemm_sse42::make_family<double, 12, 1>(),
                                       &gemm_sse42::pack_t_scalar<double>, gemm_sse42::make_family<double, 6, 2>()};
  return k;
}
}  // namespace tg::core::gemm_detail
