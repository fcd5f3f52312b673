// Window kernels (pooling, depthwise convolution) for avx2 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx2
#define TG_ARCH xsimd::fma3<xsimd::avx2>
#include "core/kernels/window_impl.hpp"

namespace tg::core::kern {
const WindowTable<float>& window_table_f32_avx2() {
  static const WindowTable<float> t = avx2::window::make_window_table<float>();
  return t;
}
const WindowTable<double>& window_table_f64_avx2() {
  static const WindowTable<double> t = avx2::window::make_window_table<double>();
  return t;
}
}  // namespace tg::core::kern
