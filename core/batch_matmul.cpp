#include "core/batch_matmul.hpp"

#include <vector>

#include "core/gemm.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

// Multiply-adds per task when batches share threads: gemm.cpp's own threshold for threading.
constexpr std::int64_t task_work = std::int64_t{1} << 20;

Shape batch_of(const Shape& s) {
  Shape b;
  for (int d = 0; d + 2 < s.rank(); ++d) b.push_back(s[d]);
  return b;
}

// Element offsets of each batch entry of `in` (a batch shape broadcast to `out`), `mat` apart.
std::vector<std::int64_t> batch_offsets(const Shape& in, const Shape& out, std::int64_t mat) {
  std::vector<std::int64_t> off(static_cast<std::size_t>(out.numel()), 0);
  const int lead = out.rank() - in.rank();
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    std::int64_t rem = i, o = 0, stride = mat;
    for (int d = out.rank() - 1; d >= 0; --d) {
      const std::int64_t k = rem % out[d];
      rem /= out[d];
      if (d < lead) continue;
      const std::int64_t n = in[d - lead];
      if (n != 1) o += k * stride;
      stride *= n;
    }
    off[static_cast<std::size_t>(i)] = o;
  }
  return off;
}

}  // namespace

Tensor batch_matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  if (!a.defined() || !b.defined()) fail("matmul: undefined tensor");
  if (a.rank() < 2 || b.rank() < 2) fail("matmul: expects tensors of rank >= 2, got ", a.shape(), " x ", b.shape());
  if (a.dtype() != b.dtype() || !is_floating(a.dtype()))
    fail("matmul: expects two float32 or two float64 tensors, got ", dtype_name(a.dtype()), " ", a.shape(), " x ",
         dtype_name(b.dtype()), " ", b.shape());
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const std::int64_t M = sa[sa.rank() - (trans_a ? 1 : 2)], Ka = sa[sa.rank() - (trans_a ? 2 : 1)];
  const std::int64_t Kb = sb[sb.rank() - (trans_b ? 1 : 2)], N = sb[sb.rank() - (trans_b ? 2 : 1)];
  if (Ka != Kb)
    fail("matmul: inner dimensions differ: ", sa, trans_a ? "^T" : "", " x ", sb, trans_b ? "^T" : "",
         " (the last two dimensions multiply)");
  const Shape ba = batch_of(sa), bb = batch_of(sb);
  const Shape batch = broadcast_shapes(ba, bb, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor c(out_shape, a.dtype());
  if (c.numel() == 0) return c;
  const std::int64_t K = Ka, lda = trans_a ? M : K, ldb = trans_b ? K : N;
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* pc = c.data<T>();
      // One matrix on the right shared by every batch entry: the batch is more rows of one GEMM.
      if (!trans_a && bb.numel() == 1 && ba.numel() == batch.numel()) {
        gemm<T>(false, trans_b, batch.numel() * M, N, K, pa, lda, pb, ldb, pc, N);
        return;
      }
      const std::vector<std::int64_t> oa = batch_offsets(ba, batch, M * K), ob = batch_offsets(bb, batch, K * N);
      auto run = [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t i = lo; i < hi; ++i) {
          const auto u = static_cast<std::size_t>(i);
          gemm<T>(trans_a, trans_b, M, N, K, pa + oa[u], lda, pb + ob[u], ldb, pc + i * M * N, N);
        }
      };
      // A product big enough to thread inside the GEMM runs alone; small ones share the threads.
      const std::int64_t work = std::max<std::int64_t>(1, M * N * std::max<std::int64_t>(K, 1));
      if (work >= task_work) run(0, batch.numel());
      else parallel_for(0, batch.numel(), std::max<std::int64_t>(1, task_work / work), run);
    }
  });
  return c;
}

}  // namespace tg::core
