// Picks the window kernel table of the active ISA (compiled without ISA flags: runs on any x86-64).
#include "core/isa.hpp"
#include "core/kernels/window.hpp"

namespace tg::core::kern {

template <>
const WindowTable<float>& window_table<float>() {
  switch (active_isa()) {
    case Isa::avx512: return window_table_f32_avx512();
    case Isa::avx2: return window_table_f32_avx2();
    case Isa::sse42: break;
  }
  return window_table_f32_sse42();
}

template <>
const WindowTable<double>& window_table<double>() {
  switch (active_isa()) {
    case Isa::avx512: return window_table_f64_avx512();
    case Isa::avx2: return window_table_f64_avx2();
    case Isa::sse42: break;
  }
  return window_table_f64_sse42();
}

}  // namespace tg::core::kern
