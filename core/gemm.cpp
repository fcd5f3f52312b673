// GEMM driver: kernel choice per ISA, blocking over K and N, packing of B, task split over threads.
//
// Layout of the work (BLIS-style, with the A side read in place):
//   for each task (a block of rows x a block of columns of C; one per thread)
//     for jc over the task's columns in NC steps
//       for pc over K in KC steps        pack B[pc:pc+kc, jc:jc+nc] into NR-wide panels (zero-padded)
//         for ic over the task's rows in MC steps
//           for each NR panel             the B micro-panel stays in L1 ...
//             for each row panel (<= MR)  ... while A streams from L2: tile kernel
// A is not packed (but see pack_a): a broadcast-FMA kernel reads one element of A per row and k,
// so A^T is read k-major in place and row-major A row by row. Row panels split M evenly (32 rows = 11+11+10 rather
// than 14+14+4), every height has its own kernel, so there is no M tail to pad.
// gemm_packed_a takes A from a routine that writes each block straight into the packing buffer
// (convolution patches): rows-layout blocks for the "rows" tiles, or k-major panels.
// Two shortcuts for MLP shapes: a row-major B feeding few row panels is read in place instead of
// packed, and a narrow C (N = 10) is computed as C^T = op(B)^T op(A)^T so M fills the vectors.
#include "core/gemm.hpp"

#include <algorithm>

#include "core/allocator.hpp"
#include "core/error.hpp"
#include "core/isa.hpp"
#include "core/kernels/gemm_kernel.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

namespace gd = gemm_detail;

template <class T>
const gd::KernelSet<T>& kernel_set();

template <>
const gd::KernelSet<float>& kernel_set<float>() {
  switch (active_isa()) {
    case Isa::avx512: return gd::gemm_kernels_f32_avx512();
    case Isa::avx2: return gd::gemm_kernels_f32_avx2();
    case Isa::sse42: break;
  }
  return gd::gemm_kernels_f32_sse42();
}

template <>
const gd::KernelSet<double>& kernel_set<double>() {
  switch (active_isa()) {
    case Isa::avx512: return gd::gemm_kernels_f64_avx512();
    case Isa::avx2: return gd::gemm_kernels_f64_avx2();
    case Isa::sse42: break;
  }
  return gd::gemm_kernels_f64_sse42();
}

// Blocking: K in equal blocks of at most KC (784 = 392 + 392), row panels of A (MC x KC) streaming
// from L2 past one KC x NR panel of B; the packed KC x NC block of B sits in L2/L3. A B panel of
// up to 64 KB overflows L1 (48 KB on Zen 5) but streams well from L2, and fewer K blocks mean fewer
// passes over C: KC 256 -> 512 took 1024^3 from 0.95x to 0.98x OpenBLAS, (1024,784,128) from 1.01x
// to 1.05x, on one thread (bench_gemm).
template <class T>
constexpr std::int64_t kc_max = 512 * 4 / static_cast<std::int64_t>(sizeof(T));
constexpr std::int64_t mc_max = 192;
template <class T>
constexpr std::int64_t nc_max = 512 * 4 / static_cast<std::int64_t>(sizeof(T));
// Below this many multiply-adds the call runs on the calling thread: waking a TBB worker costs
// more than it saves (measured with bench_gemm, see bench/README.md).
constexpr std::int64_t serial_work = std::int64_t{1} << 20;
// Work (multiply-adds) below which a product is not cut into more tasks than threads.
constexpr std::int64_t task_work = std::int64_t{8} << 20;
// B is read in place (not packed) when a task has at most this many row panels and B's rows are
// at most in_place_stride bytes apart. 12 panels (168 rows on AVX-512) keeps (128, 784, 128) in
// place, where skipping the pack wins ~10%; 1024^3 read in place ran at 0.85x of packed (a 4 KB
// stride puts every k of a panel in the same L1 sets).
constexpr std::int64_t in_place_rows = 12;
constexpr std::int64_t in_place_stride = 2048;
// Row-major A is packed when its row stride in bytes is a multiple of this.
constexpr std::int64_t pack_a_stride = 2048;

// Packing scratch per thread, from the caching allocator: it grows to the largest block seen and
// stays, so steady state makes no allocation.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { alloc::deallocate(p_, bytes_); }
  template <class T>
  T* get(std::int64_t n) {
    const std::size_t need = static_cast<std::size_t>(n) * sizeof(T);
    if (need > bytes_) {
      alloc::deallocate(p_, bytes_);
      p_ = nullptr;
      bytes_ = 0;
      p_ = alloc::allocate(need);
      bytes_ = need;
    }
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

thread_local Scratch b_scratch;
thread_local Scratch a_scratch;

template <class T>
struct Problem {
  bool ta, tb;
  std::int64_t M, N, K;
  const T* A;
  std::int64_t lda;
  const T* B;
  std::int64_t ldb;
  T* C;
  std::int64_t ldc;
  GemmEpilogue<T> ep;
  const gd::Family<T>* fam;
  gd::PackTFn<T> pack_t;
  bool c_trans;  // this is the problem for C^T: C(i, j) lives at C[j * ldc + i], bias runs along i
  const PackedA<T>* src = nullptr;   // A comes from this packing routine (A and lda unused)
  const PackedB<T>* bsrc = nullptr;  // B comes from this one (B and ldb unused)
};

// The stride of a block of A packed by a routine: its length, plus a cache line when lines would
// be a multiple of 2 KB apart (a tile's rows would share L1 sets, as for pack_a_stride below).
template <class T>
std::int64_t packed_rows_ld(std::int64_t len) {
  const std::int64_t bytes = len * static_cast<std::int64_t>(sizeof(T));
  return bytes % 2048 == 0 ? len + 64 / static_cast<std::int64_t>(sizeof(T)) : len;
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into ceil(nc/nr) panels of kc x nr, zero-padding past nc.
// With full_in_place only the last, partial panel is packed (the others are read from B).
template <class T>
void pack_b(const Problem<T>& P, std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
            std::int64_t nr, bool full_in_place, T* dst) {
  for (std::int64_t q = 0; q < nc; q += nr, dst += kc * nr) {
    const std::int64_t n = std::min(nr, nc - q);
    if (full_in_place && n == nr) continue;
    if (P.bsrc) {
      P.bsrc->pack(P.bsrc->ctx, p0, kc, j0 + q, n, nr, dst);
    } else if (!P.tb) {
      // A loop, not memcpy: rows are one or two vectors long and a call per row costs more.
      const T* src = P.B + p0 * P.ldb + j0 + q;
      for (std::int64_t p = 0; p < kc; ++p) {
        T* d = dst + p * nr;
        const T* s = src + p * P.ldb;
        for (std::int64_t j = 0; j < n; ++j) d[j] = s[j];
        for (std::int64_t j = n; j < nr; ++j) d[j] = T(0);
      }
    } else {
      // B stored N x K: row j of the stored matrix is column j of op(B).
      P.pack_t(P.B + (j0 + q) * P.ldb + p0, P.ldb, kc, n, nr, dst);
    }
  }
}

// Computes C[m0:m1, n0:n1] on the calling thread.
template <class T>
void run_block(const Problem<T>& P, std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1) {
  const gd::Family<T>& fam = *P.fam;
  const std::int64_t mr = fam.mr, nr = fam.nr;
  const std::int64_t K = P.K;
  const std::int64_t kblocks = (K + kc_max<T> - 1) / kc_max<T>;
  const std::int64_t kc_full = (K + kblocks - 1) / kblocks;  // equal K blocks: 784 = 262+261+261
  const std::int64_t nc_cap = std::min(nc_max<T>, n1 - n0);
  T* bpack = b_scratch.get<T>(kc_full * ((nc_cap + nr - 1) / nr) * nr);

  // Packing B pays when many row panels reuse it. With few rows, full panels of a row-major B
  // are read where they are (b_step = ldb).
  const bool in_place = !P.bsrc && !P.tb && m1 - m0 <= in_place_rows * mr &&
                        P.ldb * static_cast<std::int64_t>(sizeof(T)) <= in_place_stride;
  // Row-major A whose rows are a multiple of 2 KB apart (512^3, 1024^3) is packed k-major: read in
  // place, the MR rows of a tile fall in one or two L1 sets and evict each other (1024^3 ran at
  // 0.6-0.95x OpenBLAS from run to run). Panels are padded to max_mr rows, as pack_t writes them.
  const bool pack_a = !P.src && !P.ta && (P.lda * static_cast<std::int64_t>(sizeof(T))) % pack_a_stride == 0;
  constexpr std::int64_t a_pad = gd::max_mr;
  // A from a packing routine (P.src) comes as one block of mc x kc per (ic, pc): rows-layout
  // (read like row-major A) or k-major (read like A^T), at stride a_ld.
  const std::int64_t a_ld = !P.src ? 0 : P.src->kmajor ? packed_rows_ld<T>(std::min(mc_max, m1 - m0)) : packed_rows_ld<T>(kc_full);
  T* apack = pack_a ? a_scratch.get<T>(((mc_max + mr - 1) / mr) * kc_full * a_pad)
             : P.src ? a_scratch.get<T>(P.src->kmajor ? kc_full * a_ld : mc_max * a_ld)
                     : nullptr;
  gd::TileArgs<T> t{};
  t.ldc = P.ldc;
  t.c_trans = P.c_trans;
  for (std::int64_t jc = n0; jc < n1; jc += nc_cap) {
    const std::int64_t nc = std::min(nc_cap, n1 - jc);
    for (std::int64_t pc = 0; pc < K; pc += kc_full) {
      const std::int64_t kc = std::min(kc_full, K - pc);
      const bool last = pc + kc == K;
      pack_b(P, pc, kc, jc, nc, nr, in_place, bpack);
      t.k = kc;
      t.beta = pc > 0 || P.ep.accumulate;
      t.relu = last && P.ep.relu;
      for (std::int64_t ic = m0; ic < m1; ic += mc_max) {
        const std::int64_t mc = std::min(mc_max, m1 - ic);
        // Even row panels: mc rows in ceil(mc/mr) panels whose heights differ by at most one.
        const std::int64_t panels = (mc + mr - 1) / mr;
        const std::int64_t base = mc / panels, extra = mc % panels;
        if (P.src)
          P.src->pack(P.src->ctx, ic, mc, pc, kc, apack, a_ld);
        else if (pack_a)
          for (std::int64_t s = 0, i = ic; s < panels; ++s) {
            const std::int64_t h = base + (s < extra ? 1 : 0);
            P.pack_t(P.A + i * P.lda + pc, P.lda, kc, h, a_pad, apack + s * kc * a_pad);
            i += h;
          }
        for (std::int64_t q = 0; q < nc; q += nr) {
          const std::int64_t j = jc + q;
          t.n = std::min(nr, nc - q);
          if (in_place && t.n == nr) {
            t.b = P.B + pc * P.ldb + j;
            t.b_step = P.ldb;
          } else {
            t.b = bpack + (q / nr) * kc * nr;
            t.b_step = nr;
          }
          t.bias = nullptr;
          std::int64_t i = ic;
          for (std::int64_t s = 0; s < panels; ++s) {
            const std::int64_t h = base + (s < extra ? 1 : 0);
            gd::TileFn<T> fn;
            if (P.src) {
              t.a = P.src->kmajor ? apack + (i - ic) : apack + (i - ic) * a_ld;
              t.a_step = a_ld;
              fn = P.src->kmajor ? fam.kmajor[h - 1] : fam.rows[h - 1];
            } else if (pack_a) {
              t.a = apack + s * kc * a_pad;
              t.a_step = a_pad;
              fn = fam.kmajor[h - 1];
            } else if (P.ta) {
              t.a = P.A + pc * P.lda + i;
              t.a_step = P.lda;
              fn = fam.kmajor[h - 1];
            } else {
              t.a = P.A + i * P.lda + pc;
              t.a_step = P.lda;
              fn = fam.rows[h - 1];
            }
            t.c = P.c_trans ? P.C + j * P.ldc + i : P.C + i * P.ldc + j;
            if (last && P.ep.bias) t.bias = P.ep.bias + (P.c_trans ? i : j);
            fn(t);
            i += h;
          }
        }
      }
    }
  }
}

// K == 0: C = 0 (or unchanged with accumulate), then bias and relu.
template <class T>
void empty_product(std::int64_t M, std::int64_t N, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep) {
  for (std::int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (std::int64_t j = 0; j < N; ++j) {
      T x = ep.accumulate ? c[j] : T(0);
      if (ep.bias) x += ep.bias[j];
      if (ep.relu && x < T(0)) x = T(0);
      c[j] = x;
    }
  }
}

struct Split {
  std::int64_t tm = 1, tn = 1;
};

// Chooses how to cut C into `parts` tasks (row blocks x column blocks): the cut whose largest
// task (product plus its own packing of B) is cheapest.
template <class T>
Split choose_split(const Problem<T>& P, std::int64_t parts) {
  const std::int64_t mr = P.fam->mr, nr = P.fam->nr;
  const double lanes = 2.0 * static_cast<double>(nr) / 2.0;  // ~ multiply-adds per cycle per core
  const double pack_cost = P.tb ? 1.0 : 0.25;                // cycles per packed element of B
  Split best;
  double best_cost = -1;
  for (std::int64_t tm = 1; tm <= parts; ++tm) {
    if (parts % tm) continue;
    const std::int64_t tn = parts / tm;
    const std::int64_t row_panels = (P.M + mr - 1) / mr, col_panels = (P.N + nr - 1) / nr;
    if (tm > row_panels || tn > col_panels) continue;
    const double rows = static_cast<double>(std::min(P.M, ((row_panels + tm - 1) / tm) * mr));
    const double cols = static_cast<double>(((col_panels + tn - 1) / tn) * nr);
    const double k = static_cast<double>(P.K);
    const double cost = rows * cols * k / lanes + cols * k * pack_cost;
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best = {tm, tn};
    }
  }
  return best;
}

// Runs P on the calling thread (serial, or too small to win from threads) or split over threads.
template <class T>
void run(const Problem<T>& P, bool serial) {
  const int threads = num_threads();
  if (serial || threads == 1 || P.M * P.N * P.K < serial_work) {
    run_block(P, 0, P.M, 0, P.N);
    return;
  }
  // Large products get 2 or 4 tasks per thread, so that a thread that starts late (a worker
  // waking up, a core shared with another process) takes fewer of them instead of finishing last.
  // Each task costs a TBB spawn (~1 us) and may pack its own B, hence only above task_work each.
  std::int64_t parts = threads;
  while (parts < 4 * threads && P.M * P.N * P.K >= 2 * parts * task_work) parts *= 2;
  Split s = choose_split(P, parts);
  if (s.tm * s.tn != parts) s = choose_split(P, threads);
  const std::int64_t nr = P.fam->nr;
  const std::int64_t col_panels = (P.N + nr - 1) / nr;
  parallel_for(0, s.tm * s.tn, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t task = b; task < e; ++task) {
      const std::int64_t im = task / s.tn, in = task % s.tn;
      const std::int64_t m0 = P.M * im / s.tm, m1 = P.M * (im + 1) / s.tm;
      const std::int64_t n0 = std::min(P.N, col_panels * in / s.tn * nr);
      const std::int64_t n1 = std::min(P.N, col_panels * (in + 1) / s.tn * nr);
      if (m1 > m0 && n1 > n0) run_block(P, m0, m1, n0, n1);
    }
  });
}

template <class T>
void gemm_impl(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const T* A,
               std::int64_t lda, const T* B, std::int64_t ldb, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep,
               bool serial) {
  if (M < 0 || N < 0 || K < 0) fail("gemm: negative size M=", M, " N=", N, " K=", K);
  if (M == 0 || N == 0) return;
  if (ldc < N) fail("gemm: ldc=", ldc, " < N=", N);
  if (K == 0) {
    empty_product(M, N, C, ldc, ep);
    return;
  }
  if (lda < (trans_a ? M : K)) fail("gemm: lda=", lda, " too small for ", trans_a ? "A^T" : "A", " with M=", M, " K=", K);
  if (ldb < (trans_b ? K : N)) fail("gemm: ldb=", ldb, " too small for ", trans_b ? "B^T" : "B", " with K=", K, " N=", N);

  const gd::KernelSet<T>& ks = kernel_set<T>();
  // A narrow C (N = 10: an MLP's last layer) leaves most lanes of a register tile idle. If M is
  // wide, compute C^T = op(B)^T op(A)^T instead: M becomes the vector dimension, N the rows.
  // op(A)^T is then B of the swapped problem: read in place when A is stored K x M (trans_a),
  // else transposed while packed.
  const bool swap = N < ks.narrow.nr && M >= 2 * ks.wide.nr;
  const Problem<T> P = swap ? Problem<T>{!trans_b, !trans_a, N, M, K, B, ldb, A, lda, C, ldc, ep, &ks.wide, ks.pack_t, true}
                            : Problem<T>{trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, ep,
                                         N <= ks.narrow.nr ? &ks.narrow : &ks.wide, ks.pack_t, false};
  run(P, serial);
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t lda,
          const T* B, std::int64_t ldb, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep) {
  gemm_impl(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, ep, false);
}

template <class T>
void gemm_serial(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const T* A,
                 std::int64_t lda, const T* B, std::int64_t ldb, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep) {
  gemm_impl(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, ep, true);
}

template <class T>
void gemm_packed_a(const PackedA<T>& a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const T* B,
                   std::int64_t ldb, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep, bool serial) {
  if (M < 0 || N < 0 || K < 0) fail("gemm_packed_a: negative size M=", M, " N=", N, " K=", K);
  if (M == 0 || N == 0) return;
  if (ldc < N) fail("gemm_packed_a: ldc=", ldc, " < N=", N);
  if (K == 0) {
    empty_product(M, N, C, ldc, ep);
    return;
  }
  if (ldb < (trans_b ? K : N)) fail("gemm_packed_a: ldb=", ldb, " too small with K=", K, " N=", N);
  if (!a.pack) fail("gemm_packed_a: no packing routine");
  // No C^T swap here: that would need A packed as B panels. Narrow N still gets the narrow tiles.
  const gd::KernelSet<T>& ks = kernel_set<T>();
  // Convolution shapes (N = 64 output channels) ran ~10% faster on 6x4 AVX-512 tiles than on 14x2
  // (conv2 of bench_conv_torch, one thread, thread CPU time, alternating runs).
  const gd::Family<T>* fam = N <= ks.narrow.nr ? &ks.narrow : N >= ks.square.nr ? &ks.square : &ks.wide;
  const Problem<T> P{false, trans_b, M, N, K, nullptr, 0, B, ldb, C, ldc, ep, fam, ks.pack_t, false, &a};
  run(P, serial);
}

template <class T>
void gemm_packed(const PackedA<T>& a, const PackedB<T>& b, std::int64_t M, std::int64_t N, std::int64_t K, T* C,
                 std::int64_t ldc, const GemmEpilogue<T>& ep, bool serial) {
  if (M < 0 || N < 0 || K < 0) fail("gemm_packed: negative size M=", M, " N=", N, " K=", K);
  if (M == 0 || N == 0) return;
  if (ldc < N) fail("gemm_packed: ldc=", ldc, " < N=", N);
  if (K == 0) {
    empty_product(M, N, C, ldc, ep);
    return;
  }
  if (!a.pack || !b.pack) fail("gemm_packed: no packing routine");
  const gd::KernelSet<T>& ks = kernel_set<T>();
  const gd::Family<T>* fam = N <= ks.narrow.nr ? &ks.narrow : N >= ks.square.nr ? &ks.square : &ks.wide;
  Problem<T> P{false, false, M, N, K, nullptr, 0, nullptr, 0, C, ldc, ep, fam, ks.pack_t, false, &a};
  P.bsrc = &b;
  run(P, serial);
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t,
                          const float*, std::int64_t, float*, std::int64_t, const GemmEpilogue<float>&);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t,
                           const double*, std::int64_t, double*, std::int64_t, const GemmEpilogue<double>&);
template void gemm_serial<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t,
                                 const float*, std::int64_t, float*, std::int64_t, const GemmEpilogue<float>&);
template void gemm_serial<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t,
                                  const double*, std::int64_t, double*, std::int64_t, const GemmEpilogue<double>&);
template void gemm_packed_a<float>(const PackedA<float>&, bool, std::int64_t, std::int64_t, std::int64_t, const float*,
                                   std::int64_t, float*, std::int64_t, const GemmEpilogue<float>&, bool);
template void gemm_packed<float>(const PackedA<float>&, const PackedB<float>&, std::int64_t, std::int64_t, std::int64_t,
                                 float*, std::int64_t, const GemmEpilogue<float>&, bool);
template void gemm_packed<double>(const PackedA<double>&, const PackedB<double>&, std::int64_t, std::int64_t, std::int64_t,
                                  double*, std::int64_t, const GemmEpilogue<double>&, bool);
template void gemm_packed_a<double>(const PackedA<double>&, bool, std::int64_t, std::int64_t, std::int64_t,
                                    const double*, std::int64_t, double*, std::int64_t, const GemmEpilogue<double>&,
                                    bool);

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  if (!a.defined() || !b.defined()) fail("matmul: undefined tensor");
  if (a.rank() != 2 || b.rank() != 2)
    fail("matmul: expects two rank-2 tensors, got ", a.shape(), " x ", b.shape());
  if (a.dtype() != b.dtype())
    fail("matmul: dtypes differ: ", dtype_name(a.dtype()), " ", a.shape(), " x ", dtype_name(b.dtype()), " ",
         b.shape());
  if (a.dtype() != DType::float32 && a.dtype() != DType::float64)
    fail("matmul: expects float32 or float64, got ", dtype_name(a.dtype()), " ", a.shape(), " x ", b.shape());
  const std::int64_t M = trans_a ? a.dim(1) : a.dim(0), Ka = trans_a ? a.dim(0) : a.dim(1);
  const std::int64_t Kb = trans_b ? b.dim(1) : b.dim(0), N = trans_b ? b.dim(0) : b.dim(1);
  if (Ka != Kb)
    fail("matmul: inner dimensions differ: ", a.shape(), trans_a ? "^T" : "", " x ", b.shape(), trans_b ? "^T" : "");
  Tensor c(Shape{M, N}, a.dtype());
  if (a.dtype() == DType::float32)
    gemm<float>(trans_a, trans_b, M, N, Ka, a.data<float>(), a.dim(1), b.data<float>(), b.dim(1), c.data<float>(), N);
  else
    gemm<double>(trans_a, trans_b, M, N, Ka, a.data<double>(), a.dim(1), b.data<double>(), b.dim(1),
                 c.data<double>(), N);
  return c;
}

}  // namespace tg::core
