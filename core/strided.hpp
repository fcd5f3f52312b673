#pragma once
// Broadcast bookkeeping shared by core kernels: operand strides in the output's index space,
// with adjacent dimensions merged where every operand allows it.
#include <array>
#include <cstdint>

#include "core/shape.hpp"

namespace tg::core::detail {

// Up to K operands laid over one output shape. stride[k][d] is operand k's element stride along
// output dimension d (0 where the operand is broadcast).
template <int K>
struct Strided {
  int rank = 0;
  std::array<std::int64_t, Shape::max_rank> dims{};
  std::array<std::array<std::int64_t, Shape::max_rank>, K> stride{};
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= dims[static_cast<std::size_t>(d)];
    return n;
  }
  std::int64_t outer() const {  // product of all but the innermost dimension
    std::int64_t n = 1;
    for (int d = 0; d + 1 < rank; ++d) n *= dims[static_cast<std::size_t>(d)];
    return n;
  }
  std::int64_t inner() const { return rank ? dims[static_cast<std::size_t>(rank - 1)] : 1; }
  // Offsets of operand k at the start of outer row `o`.
  void row_offsets(std::int64_t o, std::array<std::int64_t, K>& off) const {
    off.fill(0);
    for (int d = rank - 2; d >= 0; --d) {
      const auto ud = static_cast<std::size_t>(d);
      const std::int64_t i = o % dims[ud];
      o /= dims[ud];
      for (std::size_t k = 0; k < K; ++k) off[k] += i * stride[k][ud];
    }
  }
};

// Lays the operand shapes over `out` (each must broadcast to it) and merges dimensions.
template <int K>
Strided<K> make_strided(const Shape& out, const std::array<const Shape*, K>& in) {
  Strided<K> s;
  // Contiguous strides of each operand, aligned right, 0 on broadcast dims.
  std::array<std::array<std::int64_t, Shape::max_rank>, K> st{};
  for (std::size_t k = 0; k < K; ++k) {
    const Shape& sh = *in[k];
    std::int64_t acc = 1;
    for (int d = out.rank() - 1; d >= 0; --d) {
      const int sd = sh.rank() - out.rank() + d;
      const std::int64_t dim = sd >= 0 ? sh[sd] : 1;
      st[k][static_cast<std::size_t>(d)] = dim == 1 ? 0 : acc;
      acc *= dim;
    }
  }
  for (int d = 0; d < out.rank(); ++d) {
    const auto ud = static_cast<std::size_t>(d);
    if (out[d] == 1) continue;  // size-1 dims carry no information
    if (s.rank > 0) {
      const auto last = static_cast<std::size_t>(s.rank - 1);
      bool merge = true;
      // The merged dimension's stride so far (s.stride), which after a merge or a skipped 1 is not
      // the stride of the operand's own dimension `last`.
      for (std::size_t k = 0; k < K; ++k) merge = merge && s.stride[k][last] == st[k][ud] * out[d];
      if (merge) {
        s.dims[last] *= out[d];
        for (std::size_t k = 0; k < K; ++k) s.stride[k][last] = st[k][ud];
        continue;
      }
    }
    const auto r = static_cast<std::size_t>(s.rank++);
    s.dims[r] = out[d];
    for (std::size_t k = 0; k < K; ++k) s.stride[k][r] = st[k][ud];
  }
  return s;
}

}  // namespace tg::core::detail
