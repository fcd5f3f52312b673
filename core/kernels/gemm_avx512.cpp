// GEMM micro-kernels for avx512 (compiled with that ISA's flags; see CMakeLists.txt).
#define TG_GEMM_NS gemm_avx512
#define TG_GEMM_ARCH xsimd::avx512bw
#include <immintrin.h>

#include <algorithm>

#include "core/kernels/gemm_kernel.hpp"

namespace tg::core::gemm_avx512 {
namespace {

// Transposing pack of B^T panels in 16 x 16 blocks held in registers. xsimd 8.1 has no cross-lane
// transpose (its zip_lo/zip_hi stay inside 128-bit lanes), hence intrinsics. About 0.15 cycles per
// element against ~1 for the scalar pack; it decides A*B^T (dX = dY W^T) at MLP sizes.
void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + s]: column 4L + s of rows 4g..4g+3 in 128-bit lane L.
  for (int g = 0; g < 4; ++g) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g + 0], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int s = 0; s < 4; ++s) {
    const __m512 v = _mm512_shuffle_f32x4(u[s], u[4 + s], 0x88);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + s], u[12 + s], 0x88);
    const __m512 w = _mm512_shuffle_f32x4(u[s], u[4 + s], 0xDD);
    const __m512 w2 = _mm512_shuffle_f32x4(u[8 + s], u[12 + s], 0xDD);
    r[s] = _mm512_shuffle_f32x4(v, v2, 0x88);
    r[8 + s] = _mm512_shuffle_f32x4(v, v2, 0xDD);
    r[4 + s] = _mm512_shuffle_f32x4(w, w2, 0x88);
    r[12 + s] = _mm512_shuffle_f32x4(w, w2, 0xDD);
  }
}

void pack_t_f32(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t n, std::int64_t nr, float* dst) {
  if (nr % 16 != 0) {
    pack_t_scalar(src, ld, kc, n, nr, dst);
    return;
  }
  __m512 r[16];
  for (std::int64_t j0 = 0; j0 < nr; j0 += 16) {
    const std::int64_t rows = std::max<std::int64_t>(0, std::min<std::int64_t>(16, n - j0));
    for (std::int64_t p0 = 0; p0 < kc; p0 += 16) {
      const std::int64_t cols = std::min<std::int64_t>(16, kc - p0);
      const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1u);
      for (std::int64_t i = 0; i < 16; ++i)
        r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, src + (j0 + i) * ld + p0) : _mm512_setzero_ps();
      transpose16(r);
      for (std::int64_t c = 0; c < cols; ++c) _mm512_storeu_ps(dst + (p0 + c) * nr + j0, r[c]);
    }
  }
}

}  // namespace
}  // namespace tg::core::gemm_avx512

namespace tg::core::gemm_detail {
const KernelSet<float>& gemm_kernels_f32_avx512() {
  static constexpr KernelSet<float> k{gemm_avx512::make_family<float, 14, 2>(), gemm_avx512::make_family<float, 14, 1>(),
                                      &gemm_avx512::pack_t_f32, gemm_avx512::make_family<float, 6, 4>()};
  return k;
}
const KernelSet<double>& gemm_kernels_f64_avx512() {
  static constexpr KernelSet<double> k{gemm_avx512::make_family<double, 14, 2>(),
                                       gemm_avx512::make_family<double, 14, 1>(), &gemm_avx512::pack_t_scalar<double>, gemm_avx512::make_family<double, 6, 4>()};
  return k;
}
}  // namespace tg::core::gemm_detail
