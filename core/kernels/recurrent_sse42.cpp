// Recurrent gate kernels for sse42 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS sse42
#define TG_ARCH xsimd::sse4_2
#include "core/kernels/recurrent_impl.hpp"

namespace tg::core::kern {
const RecurrentTable<float>& recurrent_table_f32_sse42() {
  static const RecurrentTable<float> t = sse42::rnn::make_recurrent_table<float>();
  return t;
}
const RecurrentTable<double>& recurrent_table_f64_sse42() {
  static const RecurrentTable<double> t = sse42::rnn::make_recurrent_table<double>();
  return t;
}
}  // namespace tg::core::kern
