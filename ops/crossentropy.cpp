#include "ops/crossentropy.hpp"

#include <cmath>

#include "core/elementwise.hpp"
#include "core/kernels/kernels.hpp"
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/inspect.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;

namespace {

void check_logits(const Tensor& logits, const char* op) {
  if (!is_floating(logits.dtype()))
    fail(op, ": logits must be float32 or float64, got ", dtype_name(logits.dtype()), " ", logits.shape());
  if (logits.rank() != 2) fail(op, ": logits must have shape [N, classes], got ", logits.shape());
}

// Integer class ids from int or integral float labels, each checked against the class count.
std::vector<std::int64_t> class_ids(const Tensor& labels, std::int64_t n, std::int64_t classes, const char* op) {
  Tensor flat = labels;
  if (labels.rank() == 2 && labels.shape()[1] == 1) flat = labels.reshape({labels.shape()[0]});
  if (flat.rank() != 1 || flat.shape()[0] != n)
    fail(op, ": labels of shape ", labels.shape(), " do not match logits of shape (", n, ", ", classes,
         "); expected (", n, ",)");
  const auto v = flat.to_vector<double>();
  std::vector<std::int64_t> ids(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= 0 && v[i] < static_cast<double>(classes)) || v[i] != std::floor(v[i]))
      fail(op, ": label ", v[i], " at position ", i, " is out of range for ", classes, " classes (expected 0..",
           classes - 1, ")");
    ids[i] = static_cast<std::int64_t>(v[i]);
  }
  return ids;
}

// The fused op. Soft labels (`dense`) or class ids (`ids`); per-example loss = -sum(labels * log_softmax).
Tensor fused_xent(const Tensor& dense, const std::vector<std::int64_t>* ids, const Tensor& logits, Reduction r,
                  const char* op) {
  const std::int64_t n = logits.shape()[0], c = logits.shape()[1];
  Tensor log_probs(logits.shape(), logits.dtype());
  Tensor per(Shape{n}, logits.dtype());
  visit_dtype(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const auto& k = core::kern::table<T>();
      const T* x = logits.data<T>();
      T* ls = log_probs.data<T>();
      T* loss = per.data<T>();
      const T* lab = ids ? nullptr : dense.data<T>();
      for (std::int64_t i = 0; i < n; ++i) {
        k.log_softmax_row(x + i * c, ls + i * c, c);
        if (ids) {
          loss[i] = -ls[i * c + (*ids)[static_cast<std::size_t>(i)]];
        } else {
          T s = 0;
          for (std::int64_t j = 0; j < c; ++j)
            if (lab[i * c + j] != 0) s -= lab[i * c + j] * ls[i * c + j];
          loss[i] = s;
        }
      }
    }
  });
  Tensor y = reduce_loss(per, r);
  if (!autograd::should_record({&dense, &logits})) return y;
  Tensor labels = dense;
  if (ids) {  // a one-hot copy only when a tape needs it
    labels = Tensor::zeros(logits.shape(), logits.dtype());
    visit_dtype(logits.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < n; ++i) labels.data<T>()[i * c + (*ids)[static_cast<std::size_t>(i)]] = T(1);
    });
  }
  // Recorded against the logits and soft labels; `y` came out of reduce_loss untracked (per is a plain tensor).
  std::vector<Tensor> inputs{logits};
  if (!ids) inputs.push_back(dense);
  autograd::record(op, std::move(inputs), y, [labels, logits, log_probs, r, n](const Tensor& g, const autograd::Needs& m) {
    // Per-example weights of the upstream gradient: g / N for the mean, g for the sum, g[i] for none.
    Tensor w = r == Reduction::none ? reshape(g, {n, 1}) : (r == Reduction::mean ? g / static_cast<double>(n) : g);
    const bool outer = autograd::tape_records({&g, &logits, &labels});
    // d loss / d labels = -log_softmax(logits), as TensorFlow defines it.
    Tensor g_labels;
    if (m[1]) g_labels = outer ? neg(mul(log_softmax(logits), w)) : neg(mul(log_probs, w));
    if (!m[0]) return Grads{Tensor(), g_labels};
    if (outer) {
      // An outer tape is recording: express the rule with differentiable ops (second order).
      return Grads{mul(sub(softmax(logits), labels), w), g_labels};
    }
    // First order: (softmax - labels) * w in one pass over exp(log_probs).
    Tensor grad(logits.shape(), logits.dtype());
    const std::int64_t c = logits.shape()[1];
    visit_dtype(logits.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        const T* ls = log_probs.data<T>();
        const T* lab = labels.data<T>();
        const T* pw = w.data<T>();
        T* out = grad.data<T>();
        core::kern::table<T>().unary[static_cast<int>(core::kern::Unary::exp)](ls, out, n * c);
        for (std::int64_t i = 0; i < n; ++i) {
          const T wi = pw[w.numel() == 1 ? 0 : i];
          for (std::int64_t j = 0; j < c; ++j) out[i * c + j] = (out[i * c + j] - lab[i * c + j]) * wi;
        }
      }
    });
    return Grads{grad, g_labels};
  });
  return y;
}

}  // namespace

Tensor reduce_loss(const Tensor& per_example, Reduction r) {
  switch (r) {
    case Reduction::none: return per_example;
    case Reduction::sum: return sum(per_example);
    case Reduction::mean: break;
  }
  return mean(per_example);
}

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, Reduction r) {
  const char* op = "softmax_cross_entropy_with_logits";
  check_logits(logits, op);
  if (!(labels.shape() == logits.shape()))
    fail(op, ": labels of shape ", labels.shape(), " do not match logits of shape ", logits.shape());
  return fused_xent(labels.to(logits.dtype()), nullptr, logits, r, op);
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, Reduction r) {
  const char* op = "sparse_softmax_cross_entropy_with_logits";
  check_logits(logits, op);
  const auto ids = class_ids(labels, logits.shape()[0], logits.shape()[1], op);
  return fused_xent(Tensor(), &ids, logits, r, op);
}

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  if (!(labels.shape() == logits.shape()))
    fail("sigmoid_cross_entropy_with_logits: labels of shape ", labels.shape(), " do not match logits of shape ",
         logits.shape());
  const Tensor z = labels.to(logits.dtype());
  // max(x, 0) - x z + log(1 + exp(-|x|)): never overflows.
  const Tensor zero = core::scalar_like(logits, 0);
  Tensor y = core::add(core::sub(core::maximum(logits, zero), core::mul(logits, z)),
                       core::log(core::add(core::scalar_like(logits, 1), core::exp(core::neg(core::abs(logits))))));
  if (autograd::should_record({&logits, &z}))
    // The exact derivative sigmoid(x) - z, also at x = 0 where the max/abs form has a kink; -x for z.
    autograd::record("sigmoid_cross_entropy_with_logits", {logits, z}, y,
                     [logits, z](const Tensor& g, const autograd::Needs& m) {
                       return Grads{m[0] ? mul(g, sub(sigmoid(logits), z)) : Tensor(), m[1] ? neg(mul(g, logits)) : Tensor()};
                     });
  return y;
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, Reduction r) {
  const char* op = "categorical_crossentropy";
  if (!(y_true.shape() == y_pred.shape()))
    fail(op, ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  if (from_logits) return softmax_cross_entropy_with_logits(y_true, y_pred, r);
  check_logits(y_pred, op);
  Tensor p = div(y_pred, sum(y_pred, {-1}, true));
  p = clip_by_value(p, keras_epsilon, 1.0 - keras_epsilon);
  return reduce_loss(neg(sum(mul(y_true.to(y_pred.dtype()), log(p)), {-1})), r);
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, Reduction r) {
  if (from_logits) return sparse_softmax_cross_entropy_with_logits(y_true, y_pred, r);
  check_logits(y_pred, "sparse_categorical_crossentropy");
  return sparse_softmax_cross_entropy_with_logits(
      y_true, log(clip_by_value(y_pred, keras_epsilon, 1.0 - keras_epsilon)), r);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, Reduction r) {
  if (!(y_true.shape() == y_pred.shape()))
    fail("binary_crossentropy: y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  if (y_pred.rank() < 1) fail("binary_crossentropy: expected at least rank 1, got a scalar");
  Tensor elem;
  if (from_logits) {
    elem = sigmoid_cross_entropy_with_logits(y_true, y_pred);
  } else {
    const Tensor p = clip_by_value(y_pred, keras_epsilon, 1.0 - keras_epsilon);
    const Tensor z = y_true.to(y_pred.dtype());
    elem = neg(add(mul(z, log(p)), mul(1.0 - z, log(1.0 - p))));
  }
  return reduce_loss(mean(elem, {-1}), r);
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred, Reduction r) {
  if (!(y_true.shape() == y_pred.shape()))
    fail("mean_squared_error: y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  if (y_pred.rank() < 1) fail("mean_squared_error: expected at least rank 1, got a scalar");
  return reduce_loss(mean(square(sub(y_pred, y_true.to(y_pred.dtype()))), {-1}), r);
}

}  // namespace tg
