// Elementwise and reduction kernels for avx2 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx2
#define TG_ARCH xsimd::fma3<xsimd::avx2>
#include "core/kernels/kernels_impl.hpp"

namespace tg::core::kern {
const Table<float>& table_f32_avx2() {
  static const Table<float> t = avx2::make_table<float>();
  return t;
}
const Table<double>& table_f64_avx2() {
  static const Table<double> t = avx2::make_table<double>();
  return t;
}
}  // namespace tg::core::kern
