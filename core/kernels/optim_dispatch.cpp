// Picks the optimizer kernel table of the active ISA (compiled without ISA flags: runs on any x86-64).
#include "core/isa.hpp"
#include "core/kernels/optim.hpp"

namespace tg::core::kern {

template <>
const OptimTable<float>& optim_table<float>() {
  switch (active_isa()) {
    case Isa::avx512: return optim_table_f32_avx512();
    case Isa::avx2: return optim_table_f32_avx2();
    case Isa::sse42: break;
  }
  return optim_table_f32_sse42();
}

template <>
const OptimTable<double>& optim_table<double>() {
  switch (active_isa()) {
    case Isa::avx512: return optim_table_f64_avx512();
    case Isa::avx2: return optim_table_f64_avx2();
    case Isa::sse42: break;
  }
  return optim_table_f64_sse42();
}

}  // namespace tg::core::kern
