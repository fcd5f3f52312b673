// GEMM micro-kernels for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_GEMM_NS gemm_avx512
#define TG_GEMM_ARCH xsimd::avx512bw
#include "core/kernels/gemm_kernel.hpp"

namespace tg::core::gemm_detail {
const KernelSet<float>& gemm_kernels_f32_avx512() {
  static constexpr KernelSet<float> k{gemm_avx512::make_family<float, 14, 2>(), gemm_avx512::make_family<float, 14, 1>()};
  return k;
}
const KernelSet<double>& gemm_kernels_f64_avx512() {
  static constexpr KernelSet<double> k{gemm_avx512::make_family<double, 14, 2>(), gemm_avx512::make_family<double, 14, 1>()};
  return k;
}
}  // namespace tg::core::gemm_detail
