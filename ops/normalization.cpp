#include "ops/normalization.hpp"

#include "core/elementwise.hpp"
#include "core/normalization.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;

namespace {

// Every axis but `axis`, and the shape [1, .., C, .., 1] a per-channel vector broadcasts from.
std::vector<std::int64_t> other_axes(int rank, int axis) {
  std::vector<std::int64_t> a;
  for (int d = 0; d < rank; ++d)
    if (d != axis) a.push_back(d);
  return a;
}
std::vector<std::int64_t> channel_shape(const Shape& s, int axis) {
  std::vector<std::int64_t> b(static_cast<std::size_t>(s.rank()), 1);
  b[static_cast<std::size_t>(axis)] = s[axis];
  return b;
}

int check(const char* op, const Tensor& x, std::int64_t axis_in, std::initializer_list<std::pair<const char*, const Tensor*>> vecs) {
  if (!x.defined()) fail(op, ": undefined input");
  if (x.dtype() != DType::float32 && x.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(x.dtype()), " ", x.shape());
  if (x.rank() < 1) fail(op, ": expected a tensor of rank >= 1, got a scalar");
  const int axis = normalize_axis(axis_in, x.rank(), op);
  for (const auto& [name, t] : vecs) {
    if (!t->defined()) continue;
    if (t->rank() != 1 || t->dim(0) != x.dim(axis) || t->dtype() != x.dtype())
      fail(op, ": ", name, " ", t->shape(), " ", dtype_name(t->dtype()), " does not fit input ", x.shape(),
           " on axis ", axis_in, "; expected (", x.dim(axis), ",) ", dtype_name(x.dtype()));
  }
  return axis;
}

// y = x * scale[c] + shift[c] along axis; differentiable in all three.
Tensor channel_affine(const Tensor& x, int axis, const Tensor& scale, const Tensor& shift) {
  Tensor y = core::channel_affine(x, axis, scale, shift);
  if (autograd::should_record({&x, &scale, &shift}))
    autograd::record("channel_affine", {x, scale, shift}, y, [x, axis, scale](const Tensor& g, const autograd::Needs& m) {
      const auto axes = other_axes(x.rank(), axis);
      return Grads{m[0] ? mul(g, reshape(scale, channel_shape(x.shape(), axis))) : Tensor(),
                   m[1] ? sum(mul(g, x), axes) : Tensor(), m[2] ? sum(g, axes) : Tensor()};
    });
  return y;
}

Tensor ones_like_channels(const Tensor& x, int axis) { return Tensor::ones(Shape{x.dim(axis)}, x.dtype()); }

}  // namespace

BatchNormTraining batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      const BatchNormOptions& options) {
  const char* op = "batch_norm_training";
  const int axis = check(op, x, options.axis, {{"gamma", &gamma}, {"beta", &beta}});
  BatchNormTraining r;
  r.count = x.dim(axis) == 0 ? 0 : x.numel() / x.dim(axis);
  core::channel_moments(x, axis, r.mean, r.variance);
  const Tensor inv = core::div(core::scalar_like(x, 1), core::sqrt(core::add(r.variance, core::scalar_like(x, options.epsilon))));
  const Tensor g1 = gamma.defined() ? gamma : ones_like_channels(x, axis);
  const Tensor scale = core::mul(g1, inv);
  Tensor shift = core::neg(core::mul(r.mean, scale));
  if (beta.defined()) shift = core::add(beta, shift);
  r.y = core::channel_affine(x, axis, scale, shift);
  if (!autograd::should_record({&x, &gamma, &beta})) return r;
  const double eps = options.epsilon;
  const Tensor batch_mean = r.mean;
  autograd::record(op, {x, gamma, beta}, r.y, [x, g1, batch_mean, inv, axis, eps](const Tensor& g, const autograd::Needs& m) {
    const auto axes = other_axes(x.rank(), axis);
    const auto cs = channel_shape(x.shape(), axis);
    const double count = static_cast<double>(x.numel() / x.dim(axis));
    if (autograd::should_record({&g, &x, &g1})) {
      // An outer tape records: the same rule in differentiable ops, statistics recomputed from x.
      const Tensor xc = sub(x, mean(x, axes, true));
      const Tensor inv_b = 1.0 / sqrt(add(mean(square(xc), axes, true), scalar_like(x, eps)));
      const Tensor xhat = mul(xc, inv_b);
      const Tensor dbeta = sum(g, axes), dgamma = sum(mul(g, xhat), axes);
      Tensor dx;
      if (m[0]) {
        const Tensor k = mul(reshape(g1, cs), inv_b) / count;
        dx = mul(k, sub(sub(g * count, reshape(dbeta, cs)), mul(xhat, reshape(dgamma, cs))));
      }
      return Grads{dx, m[1] ? dgamma : Tensor(), m[2] ? dbeta : Tensor()};
    }
    // First order, fused: sum_g and sum g*(x - mean) in one pass, dx in another.
    Tensor sum_g, sum_gxc;
    core::channel_grad_sums(g, x, axis, batch_mean, sum_g, sum_gxc);
    const Tensor dgamma = core::mul(sum_gxc, inv);  // sum of g * xhat
    Tensor dx;
    if (m[0]) {
      // dx = gamma inv / N (N g - sum_g - xhat sum(g xhat)) = a g + b x + d per channel.
      const Tensor a = core::mul(g1, inv);
      const Tensor b = core::neg(core::div(core::mul(core::mul(a, inv), dgamma), core::scalar_like(x, count)));
      const Tensor d = core::sub(core::neg(core::div(core::mul(a, sum_g), core::scalar_like(x, count))), core::mul(b, batch_mean));
      dx = core::channel_affine2(g, x, axis, a, b, d);
    }
    return Grads{dx, m[1] ? dgamma : Tensor(), m[2] ? sum_g : Tensor()};
  });
  return r;
}

Tensor batch_norm_inference(const Tensor& x, const Tensor& moving_mean, const Tensor& moving_variance,
                            const Tensor& gamma, const Tensor& beta, const BatchNormOptions& options) {
  const char* op = "batch_norm_inference";
  const int axis = check(op, x, options.axis,
                         {{"moving_mean", &moving_mean}, {"moving_variance", &moving_variance}, {"gamma", &gamma}, {"beta", &beta}});
  if (!moving_mean.defined() || !moving_variance.defined()) fail(op, ": moving_mean and moving_variance are required");
  // tf.nn.batch_normalization's order: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv).
  Tensor scale = 1.0 / sqrt(add(moving_variance, scalar_like(moving_variance, options.epsilon)));
  if (gamma.defined()) scale = mul(scale, gamma);
  Tensor shift = neg(mul(moving_mean, scale));
  if (beta.defined()) shift = add(beta, shift);
  return channel_affine(x, axis, scale, shift);
}

Tensor moving_average_update(const Tensor& moving, const Tensor& value, double momentum) {
  if (!moving.defined() || !value.defined() || !(moving.shape() == value.shape()))
    fail("moving_average_update: moving ", moving.defined() ? moving.shape().str() : "undefined", " and value ",
         value.defined() ? value.shape().str() : "undefined", " must have the same shape");
  const Tensor v = core::convert(value, moving.dtype());
  return core::add(core::mul(moving, core::scalar_like(moving, momentum)), core::mul(v, core::scalar_like(moving, 1.0 - momentum)));
}

}  // namespace tg
