// Recurrent gate kernels for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_ISA_NS avx512
#define TG_ARCH xsimd::avx512bw
#include "core/kernels/recurrent_impl.hpp"

namespace tg::core::kern {
const RecurrentTable<float>& recurrent_table_f32_avx512() {
  static const RecurrentTable<float> t = avx512::rnn::make_recurrent_table<float>();
  return t;
}
const RecurrentTable<double>& recurrent_table_f64_avx512() {
  static const RecurrentTable<double> t = avx512::rnn::make_recurrent_table<double>();
  return t;
}
}  // namespace tg::core::kern
