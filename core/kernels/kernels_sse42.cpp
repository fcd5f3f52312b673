// Elementwise and reduction kernels for sse42 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS sse42
#define TG_ARCH xsimd::sse4_2
#include "core/kernels/kernels_impl.hpp"

namespace tg::core::kern {
const Table<float>& table_f32_sse42() {
  static const Table<float> t = sse42::make_table<float>();
  return t;
}
const Table<double>& table_f64_sse42() {
  static const Table<double> t = sse42::make_table<double>();
  return t;
}
}  // namespace tg::core::kern
