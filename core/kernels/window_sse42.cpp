// Window kernels (pooling, depthwise convolution) for sse42 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS sse42
#define TG_ARCH xsimd::sse4_2
#include "core/kernels/window_impl.hpp"

namespace tg::core::kern {
const WindowTable<float>& window_table_f32_sse42() {
  static const WindowTable<float> t = sse42::window::make_window_table<float>();
  return t;
}
const WindowTable<double>& window_table_f64_sse42() {
  static const WindowTable<double> t = sse42::window::make_window_table<double>();
  return t;
}
}  // namespace tg::core::kern
