#pragma once
// GEMM micro-kernels. The top half is the interface gemm.cpp drives; the bottom half is the one
// kernel body, written over xsimd::batch<T, Arch>, that gemm_<isa>.cpp compiles for its ISA by
// defining TG_GEMM_NS and TG_GEMM_ARCH before including this file. Each ISA's body lives in its own
// namespace so no inline function compiled with AVX-512 can be picked by the linker for another path.
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tg::core::gemm_detail {

// One register tile: C[0:m, 0:n] (+)= A[0:m, 0:k] * B[0:k, 0:n] with m fixed by the function
// (1 <= m <= Family::mr) and n <= Family::nr; then the epilogue.
template <class T>
struct TileArgs {
  std::int64_t k;
  // A(r, p) is a[p * a_step + r] for a "k-major" function (a packed panel, or A^T read in place)
  // and a[r * a_step + p] for a "rows" function (row-major A read in place).
  const T* a;
  std::int64_t a_step;
  // B(p, j) is b[p * b_step + j] for j < nr: a packed panel (zero-padded past n) or B in place.
  const T* b;
  std::int64_t b_step;
  T* c;
  std::int64_t ldc;
  std::int64_t n;  // columns of C written, 1..nr
  const T* bias;   // bias for column 0 of this tile (for row 0 with c_trans), or null
  bool beta;       // add the product to C instead of overwriting it
  bool relu;
  // The tile is of C^T: C(r, j) is c[j * ldc + r] and bias runs along r. gemm.cpp computes
  // C^T = op(B)^T op(A)^T this way when N is too narrow to fill a vector and M is not.
  bool c_trans;
};

template <class T>
using TileFn = void (*)(const TileArgs<T>&);

// Packs the transpose of a row-major block: dst[p * nr + j] = src[j * ld + p] for p < kc, j < n,
// and 0 for n <= j < nr (a kc x nr panel of B from B stored N x K).
template <class T>
using PackTFn = void (*)(const T* src, std::int64_t ld, std::int64_t kc, std::int64_t n, std::int64_t nr, T* dst);

inline constexpr int max_mr = 16;

// Tiles of up to mr rows and nr columns; kmajor[m - 1] / rows[m - 1] handle exactly m rows.
template <class T>
struct Family {
  int mr = 0, nr = 0;
  TileFn<T> kmajor[max_mr] = {};
  TileFn<T> rows[max_mr] = {};
};

// `wide` for the bulk of C, `narrow` for problems with N <= narrow.nr (N = 10 in an MLP's last layer).
template <class T>
struct KernelSet {
  Family<T> wide, narrow;
  PackTFn<T> pack_t;
  // For products whose A is packed by a routine (convolution patches) and N >= square.nr: fewer
  // rows and more vectors per tile, so each broadcast of A feeds more FMAs.
  Family<T> square;
};


const KernelSet<float>& gemm_kernels_f32_sse42();
const KernelSet<double>& gemm_kernels_f64_sse42();
const KernelSet<float>& gemm_kernels_f32_avx2();
const KernelSet<double>& gemm_kernels_f64_avx2();
const KernelSet<float>& gemm_kernels_f32_avx512();
const KernelSet<double>& gemm_kernels_f64_avx512();

}  // namespace tg::core::gemm_detail

#if defined(TG_GEMM_NS) && defined(TG_GEMM_ARCH)
#include <xsimd/xsimd.hpp>

namespace tg::core::TG_GEMM_NS {

using gemm_detail::Family;
using gemm_detail::KernelSet;
using gemm_detail::TileArgs;
using Arch = TG_GEMM_ARCH;
template <class T>
using V = xsimd::batch<T, Arch>;

// The last columns of a tile go through a small buffer: C, bias and A/B are never read or written
// past their ends.
template <class T>
inline V<T> load_part(const T* p, std::int64_t n) {
  alignas(64) T buf[V<T>::size] = {};
  for (std::int64_t i = 0; i < n; ++i) buf[i] = p[i];
  return V<T>::load_aligned(buf);
}
template <class T>
inline void store_part(T* p, const V<T>& x, std::int64_t n) {
  alignas(64) T buf[V<T>::size];
  x.store_aligned(buf);
  for (std::int64_t i = 0; i < n; ++i) p[i] = buf[i];
}

template <class T>
inline V<T> epilogue(V<T> x, const T* c, const T* bias, const TileArgs<T>& t, std::int64_t n, bool full) {
  if (t.beta) x += full ? V<T>::load_unaligned(c) : load_part(c, n);
  if (bias) x += full ? V<T>::load_unaligned(bias) : load_part(bias, n);
  if (t.relu) {
    const V<T> zero(T(0));
    x = xsimd::select(x < zero, zero, x);  // keeps NaN, like ops' relu
  }
  return x;
}

// The epilogue of a C^T tile: scalar stores down columns of C, kept out of line so the common
// path's code stays as it was. Only for narrow N, where C is small next to the product.
template <class T>
[[gnu::noinline]] void store_trans(const T* buf, int rows, int width, const TileArgs<T>& t) {
  const std::int64_t n = t.n < width ? t.n : width;
  // Row j of C takes column j of buf: `rows` contiguous elements per store run.
  if (!t.beta && !t.bias && !t.relu) {
    for (std::int64_t j = 0; j < n; ++j) {
      T* c = t.c + j * t.ldc;
      for (int r = 0; r < rows; ++r) c[r] = buf[r * width + j];
    }
    return;
  }
  for (std::int64_t j = 0; j < n; ++j) {
    T* c = t.c + j * t.ldc;
    for (int r = 0; r < rows; ++r) {
      T x = buf[r * width + j];
      if (t.beta) x += c[r];
      if (t.bias) x += t.bias[r];
      if (t.relu && x < T(0)) x = T(0);
      c[r] = x;
    }
  }
}

template <class T, int MR, int NV, bool KMAJOR>
void tile(const TileArgs<T>& t) {
  constexpr int W = static_cast<int>(V<T>::size);
  V<T> acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V<T>(T(0));

  const T* a = t.a;
  const T* b = t.b;
  const std::int64_t as = t.a_step, bs = t.b_step;
  for (std::int64_t p = 0; p < t.k; ++p) {
    V<T> bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V<T>::load_unaligned(b + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V<T> av(KMAJOR ? a[r] : a[r * as]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
    a += KMAJOR ? as : 1;
    b += bs;
  }

  if (t.c_trans) [[unlikely]] {
    alignas(64) T buf[MR * NV * W];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(buf + (r * NV + v) * W);
    store_trans(buf, MR, NV * W, t);
    return;
  }
  if (t.n == NV * W && !t.bias && !t.relu) {
    // The common tiles (full width; a plain product, or a later K block adding to C): no
    // per-vector tests.
    if (t.beta) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* c = t.c + r * t.ldc + v * W;
          (acc[r][v] + V<T>::load_unaligned(c)).store_unaligned(c);
        }
    } else {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v].store_unaligned(t.c + r * t.ldc + v * W);
    }
    return;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    T* c = t.c + r * t.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const std::int64_t j = v * W;
      const T* bias = t.bias ? t.bias + j : nullptr;
      if (j + W <= t.n) {
        epilogue(acc[r][v], c + j, bias, t, W, true).store_unaligned(c + j);
      } else if (j < t.n) {
        store_part(c + j, epilogue(acc[r][v], c + j, bias, t, t.n - j, false), t.n - j);
      }
    }
  }
}

// The portable transposing pack: four source rows at a time, four adjacent stores per k.
template <class T>
inline void pack_t_scalar(const T* src, std::int64_t ld, std::int64_t kc, std::int64_t n, std::int64_t nr, T* dst) {
  std::int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const T* s0 = src + j * ld;
    const T* s1 = s0 + ld;
    const T* s2 = s1 + ld;
    const T* s3 = s2 + ld;
    T* d = dst + j;
    for (std::int64_t p = 0; p < kc; ++p) {
      d[p * nr + 0] = s0[p];
      d[p * nr + 1] = s1[p];
      d[p * nr + 2] = s2[p];
      d[p * nr + 3] = s3[p];
    }
  }
  for (; j < n; ++j) {
    const T* s = src + j * ld;
    for (std::int64_t p = 0; p < kc; ++p) dst[p * nr + j] = s[p];
  }
  if (n < nr)
    for (std::int64_t p = 0; p < kc; ++p)
      for (std::int64_t jj = n; jj < nr; ++jj) dst[p * nr + jj] = T(0);
}

template <class T, int MR, int NV, std::size_t... I>
constexpr Family<T> make_family(std::index_sequence<I...>) {
  Family<T> f;
  f.mr = MR;
  f.nr = NV * static_cast<int>(V<T>::size);
  ((f.kmajor[I] = &tile<T, static_cast<int>(I) + 1, NV, true>), ...);
  ((f.rows[I] = &tile<T, static_cast<int>(I) + 1, NV, false>), ...);
  return f;
}

template <class T, int MR, int NV>
constexpr Family<T> make_family() {
  static_assert(MR <= gemm_detail::max_mr);
  return make_family<T, MR, NV>(std::make_index_sequence<MR>{});
}

}  // namespace tg::core::TG_GEMM_NS
#endif
