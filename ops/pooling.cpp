#include "ops/pooling.hpp"

#include "core/pool.hpp"
#include "ops/conv.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;

namespace {

using core::Window2D;

// Max pooling and its gradients: the backward pass is linear in dy with the adjoint
// max_pool2d_gather, and both are constant in x almost everywhere (zero gradient).
Tensor max_pool_grad(const Tensor& x, const Tensor& dy, const Window2D& g, const core::PoolArgmax& argmax = {});

Tensor max_pool_gather(const Tensor& x, const Tensor& d, const Window2D& g) {
  Tensor y = core::max_pool2d_gather(x, d, g);
  if (autograd::should_record({&x, &d}))
    autograd::record("max_pool2d_gather", {x, d}, y, [x, g](const Tensor& gy, const autograd::Needs& m) {
      return Grads{m[0] ? Tensor::zeros(x.shape(), x.dtype()) : Tensor(), m[1] ? max_pool_grad(x, gy, g) : Tensor()};
    });
  return y;
}

// With `argmax` (saved by the forward pass) the first-order gradient does not read x again; the
// recorded second-order rule still uses x.
Tensor max_pool_grad(const Tensor& x, const Tensor& dy, const Window2D& g, const core::PoolArgmax& argmax) {
  Tensor dx = argmax ? core::max_pool2d_backward(argmax, dy, g) : core::max_pool2d_backward(x, dy, g);
  if (autograd::should_record({&x, &dy}))
    autograd::record("max_pool2d_backward", {x, dy}, dx, [x, g](const Tensor& d, const autograd::Needs& m) {
      return Grads{m[0] ? Tensor::zeros(x.shape(), x.dtype()) : Tensor(), m[1] ? max_pool_gather(x, d, g) : Tensor()};
    });
  return dx;
}

Tensor max_pool_forward(const Tensor& x, const Window2D& g) {
  if (!autograd::should_record({&x})) return core::max_pool2d(x, g);
  core::PoolArgmax argmax;
  Tensor y = core::max_pool2d(x, g, argmax);
  autograd::record("max_pool2d", {x}, y, [x, g, argmax](const Tensor& gy, const autograd::Needs&) {
    return Grads{max_pool_grad(x, gy, g, argmax)};
  });
  return y;
}

// Average pooling is linear: its gradient and the gradient's gradient are each other.
Tensor avg_pool_forward(const Tensor& x, const Window2D& g);

Tensor avg_pool_grad(const Tensor& dy, const Window2D& g) {
  Tensor dx = core::avg_pool2d_backward(dy, g);
  if (autograd::should_record({&dy}))
    autograd::record("avg_pool2d_backward", {dy}, dx, [g](const Tensor& d, const autograd::Needs&) { return Grads{avg_pool_forward(d, g)}; });
  return dx;
}

Tensor avg_pool_forward(const Tensor& x, const Window2D& g) {
  Tensor y = core::avg_pool2d(x, g);
  if (autograd::should_record({&x}))
    autograd::record("avg_pool2d", {x}, y, [g](const Tensor& gy, const autograd::Needs&) { return Grads{avg_pool_grad(gy, g)}; });
  return y;
}

void check_input(const char* op, const Tensor& x, int rank, const char* layout) {
  if (!x.defined()) fail(op, ": undefined input");
  if (x.rank() != rank) fail(op, ": input must be ", layout, ", got shape ", x.shape());
  if (x.dtype() != DType::float32 && x.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(x.dtype()), " ", x.shape());
}

Window2D window(const char* op, const Tensor& x, const Pool2DOptions& o) {
  check_input(op, x, 4, "[batch, height, width, channels]");
  const auto strides = o.strides.value_or(o.pool_size);
  if (o.pool_size[0] < 1 || o.pool_size[1] < 1)
    fail(op, ": pool_size must be >= 1, got (", o.pool_size[0], ", ", o.pool_size[1], ")");
  if (strides[0] < 1 || strides[1] < 1) fail(op, ": strides must be >= 1, got (", strides[0], ", ", strides[1], ")");
  Window2D g;
  g.n = x.dim(0), g.h = x.dim(1), g.w = x.dim(2), g.c = x.dim(3);
  g.kh = o.pool_size[0], g.kw = o.pool_size[1];
  g.sh = strides[0], g.sw = strides[1];
  const auto ph = ops::detail::tf_padding(op, o.padding, g.h, g.kh, g.sh, 1);
  const auto pw = ops::detail::tf_padding(op, o.padding, g.w, g.kw, g.sw, 1);
  g.oh = ph.out, g.pt = ph.before, g.ow = pw.out, g.pl = pw.before;
  return g;
}

// A 1-D pool as a 2-D one over a height of 1.
template <class F>
Tensor pool1d(const char* op, const Tensor& x, const Pool1DOptions& o, F&& pool2d) {
  check_input(op, x, 3, "[batch, steps, channels]");
  const Pool2DOptions o2{{1, o.pool_size}, std::array<std::int64_t, 2>{1, o.strides.value_or(o.pool_size)}, o.padding};
  const std::int64_t n = x.dim(0), len = x.dim(1), c = x.dim(2);
  const Window2D g = window(op, core::view(x, {n, 1, len, c}), o2);
  return reshape(pool2d(reshape(x, {n, 1, len, c}), g), {n, g.ow, c});
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options) {
  return max_pool_forward(x, window("max_pool2d", x, options));
}

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options) {
  return avg_pool_forward(x, window("avg_pool2d", x, options));
}

Tensor max_pool1d(const Tensor& x, const Pool1DOptions& options) { return pool1d("max_pool1d", x, options, max_pool_forward); }

Tensor avg_pool1d(const Tensor& x, const Pool1DOptions& options) { return pool1d("avg_pool1d", x, options, avg_pool_forward); }

Tensor global_average_pooling2d(const Tensor& x, bool keepdims) {
  check_input("global_average_pooling2d", x, 4, "[batch, height, width, channels]");
  return mean(x, {1, 2}, keepdims);
}

Tensor global_max_pooling2d(const Tensor& x, bool keepdims) {
  check_input("global_max_pooling2d", x, 4, "[batch, height, width, channels]");
  return reduce_max(x, {1, 2}, keepdims);
}

Tensor global_average_pooling1d(const Tensor& x, bool keepdims) {
  check_input("global_average_pooling1d", x, 3, "[batch, steps, channels]");
  return mean(x, {1}, keepdims);
}

Tensor global_max_pooling1d(const Tensor& x, bool keepdims) {
  check_input("global_max_pooling1d", x, 3, "[batch, steps, channels]");
  return reduce_max(x, {1}, keepdims);
}

}  // namespace tg
