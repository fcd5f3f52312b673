// GEMM micro-kernels for avx2 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_GEMM_NS gemm_avx2
#define TG_GEMM_ARCH xsimd::fma3<xsimd::avx2>
#include "core/kernels/gemm_kernel.hpp"

namespace tg::core::gemm_detail {
const KernelSet<float>& gemm_kernels_f32_avx2() {
  static constexpr KernelSet<float> k{gemm_avx2::make_family<float, 6, 2>(), gemm_avx2::make_family<float, 12, 1>(),
                                      &gemm_avx2::pack_t_scalar<float>, gemm_avx2::make_family<float, 6, 2>()};
  return k;
}
const KernelSet<double>& gemm_kernels_f64_avx2() {
  static constexpr KernelSet<double> k{gemm_avx2::make_family<double, 6, 2>(), gemm_avx2::make_family<double, 12, 1>(),
                                       &gemm_avx2::pack_t_scalar<double>, gemm_avx2::make_family<double, 6, 2>()};
  return k;
}
}  // namespace tg::core::gemm_detail
