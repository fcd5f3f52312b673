// Window kernels (pooling, depthwise convolution) for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx512
#define TG_ARCH xsimd::avx512bw
#include "core/kernels/window_impl.hpp"

namespace tg::core::kern {
const WindowTable<float>& window_table_f32_avx512() {
  static const WindowTable<float> t = avx512::window::make_window_table<float>();
  return t;
}
const WindowTable<double>& window_table_f64_avx512() {
  static const WindowTable<double> t = avx512::window::make_window_table<double>();
  return t;
}
}  // namespace tg::core::kern
