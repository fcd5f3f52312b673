// Recurrent gate kernels for avx2 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx2
#define TG_ARCH xsimd::fma3<xsimd::avx2>
#include "core/kernels/recurrent_impl.hpp"

namespace tg::core::kern {
const RecurrentTable<float>& recurrent_table_f32_avx2() {
  static const RecurrentTable<float> t = avx2::rnn::make_recurrent_table<float>();
  return t;
}
const RecurrentTable<double>& recurrent_table_f64_avx2() {
  static const RecurrentTable<double> t = avx2::rnn::make_recurrent_table<double>();
  return t;
}
}  // namespace tg::core::kern
