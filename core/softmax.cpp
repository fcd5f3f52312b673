#include "core/softmax.hpp"

#include "core/kernels/kernels.hpp"
#include "core/parallel.hpp"
#include "core/transform.hpp"

namespace tg::core {
namespace {

template <bool Log>
Tensor softmax_impl(const Tensor& x, std::int64_t axis_in, const char* name) {
  if (!is_floating(x.dtype()))
    fail(name, ": expected a float32 or float64 tensor, got ", dtype_name(x.dtype()), " ", x.shape());
  const int axis = normalize_axis(axis_in, x.rank(), name);
  if (axis != x.rank() - 1) {
    // Move the axis last, work on rows, move it back.
    std::vector<std::int64_t> perm;
    for (int d = 0; d < x.rank(); ++d)
      if (d != axis) perm.push_back(d);
    perm.push_back(axis);
    std::vector<std::int64_t> inverse(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
    return permute(softmax_impl<Log>(permute(x, perm), -1, name), inverse);
  }
  Tensor out(x.shape(), x.dtype());
  const std::int64_t n = x.shape()[axis];
  if (out.numel() == 0 || n == 0) return out;
  const std::int64_t rows = x.numel() / n;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const auto& k = kern::table<T>();
      const auto fn = Log ? k.log_softmax_row : k.softmax_row;
      const T* px = x.data<T>();
      T* po = out.data<T>();
      parallel_for(0, rows, std::max<std::int64_t>(1, 8192 / n), [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t r = lo; r < hi; ++r) fn(px + r * n, po + r * n, n);
      });
    }
  });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) { return softmax_impl<false>(x, axis, "softmax"); }
Tensor log_softmax(const Tensor& x, std::int64_t axis) { return softmax_impl<true>(x, axis, "log_softmax"); }

}  // namespace tg::core
