// Elementwise and reduction kernels for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx512
#define TG_ARCH xsimd::avx512bw
#include "core/kernels/kernels_impl.hpp"

namespace tg::core::kern {
const Table<float>& table_f32_avx512() {
  static const Table<float> t = avx512::make_table<float>();
  return t;
}
const Table<double>& table_f64_avx512() {
  static const Table<double> t = avx512::make_table<double>();
  return t;
}
}  // namespace tg::core::kern
