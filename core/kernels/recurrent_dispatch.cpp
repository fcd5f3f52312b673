// Picks the recurrent kernel table of the active ISA (compiled without ISA flags: runs on any x86-64).
#include "core/isa.hpp"
#include "core/kernels/recurrent.hpp"

namespace tg::core::kern {

template <>
const RecurrentTable<float>& recurrent_table<float>() {
  switch (active_isa()) {
    case Isa::avx512: return recurrent_table_f32_avx512();
    case Isa::avx2: return recurrent_table_f32_avx2();
    case Isa::sse42: break;
  }
  return recurrent_table_f32_sse42();
}

template <>
const RecurrentTable<double>& recurrent_table<double>() {
  switch (active_isa()) {
    case Isa::avx512: return recurrent_table_f64_avx512();
    case Isa::avx2: return recurrent_table_f64_avx2();
    case Isa::sse42: break;
  }
  return recurrent_table_f64_sse42();
}

}  // namespace tg::core::kern
