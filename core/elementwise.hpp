#pragma once
/// \file
/// Elementwise kernels on whole tensors, with NumPy broadcasting. These know nothing of gradients;
/// the differentiable versions live in ops/. Float dtypes use SIMD kernels of the active ISA;
/// integer dtypes support arithmetic, comparisons, neg, abs, square and relu.
/// Comparisons return 1 or 0 in the operands' dtype. Operands must share a dtype.
#include <utility>

#include "core/kernels/kernels.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg::core {

// broadcast(a, b) -> broadcast shape
Tensor binary(kern::Binary op, const Tensor& a, const Tensor& b);
// a -> a.shape
Tensor unary(kern::Unary op, const Tensor& a);

inline Tensor add(const Tensor& a, const Tensor& b) { return binary(kern::Binary::add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(kern::Binary::sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(kern::Binary::mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(kern::Binary::div, a, b); }
inline Tensor pow(const Tensor& a, const Tensor& b) { return binary(kern::Binary::pow, a, b); }
inline Tensor maximum(const Tensor& a, const Tensor& b) { return binary(kern::Binary::maximum, a, b); }
inline Tensor minimum(const Tensor& a, const Tensor& b) { return binary(kern::Binary::minimum, a, b); }
inline Tensor equal(const Tensor& a, const Tensor& b) { return binary(kern::Binary::eq, a, b); }
inline Tensor not_equal(const Tensor& a, const Tensor& b) { return binary(kern::Binary::ne, a, b); }
inline Tensor less(const Tensor& a, const Tensor& b) { return binary(kern::Binary::lt, a, b); }
inline Tensor less_equal(const Tensor& a, const Tensor& b) { return binary(kern::Binary::le, a, b); }
inline Tensor greater(const Tensor& a, const Tensor& b) { return binary(kern::Binary::gt, a, b); }
inline Tensor greater_equal(const Tensor& a, const Tensor& b) { return binary(kern::Binary::ge, a, b); }

inline Tensor neg(const Tensor& a) { return unary(kern::Unary::neg, a); }
inline Tensor exp(const Tensor& a) { return unary(kern::Unary::exp, a); }
inline Tensor log(const Tensor& a) { return unary(kern::Unary::log, a); }
inline Tensor sqrt(const Tensor& a) { return unary(kern::Unary::sqrt, a); }
inline Tensor square(const Tensor& a) { return unary(kern::Unary::square, a); }
inline Tensor abs(const Tensor& a) { return unary(kern::Unary::abs, a); }
inline Tensor relu(const Tensor& a) { return unary(kern::Unary::relu, a); }
inline Tensor sigmoid(const Tensor& a) { return unary(kern::Unary::sigmoid, a); }
inline Tensor tanh(const Tensor& a) { return unary(kern::Unary::tanh, a); }
inline Tensor log1p(const Tensor& a) { return unary(kern::Unary::log1p, a); }
inline Tensor expm1(const Tensor& a) { return unary(kern::Unary::expm1, a); }
inline Tensor sin(const Tensor& a) { return unary(kern::Unary::sin, a); }
inline Tensor cos(const Tensor& a) { return unary(kern::Unary::cos, a); }
inline Tensor erf(const Tensor& a) { return unary(kern::Unary::erf, a); }
inline Tensor softplus(const Tensor& a) { return unary(kern::Unary::softplus, a); }
inline Tensor silu(const Tensor& a) { return unary(kern::Unary::silu, a); }
inline Tensor gelu(const Tensor& a) { return unary(kern::Unary::gelu, a); }
inline Tensor gelu_tanh(const Tensor& a) { return unary(kern::Unary::gelu_tanh, a); }

/// A scalar tensor of t's dtype.
Tensor scalar_like(const Tensor& t, double value);

/// where(cond, a, b): a where cond != 0, else b; all three broadcast together. a and b share a dtype.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

/// Materialises t broadcast to `shape` (throws if it does not broadcast).
Tensor broadcast_to(const Tensor& t, const Shape& shape);

/// dst += src in place (same shape and dtype); used to accumulate gradients.
void add_inplace(Tensor& dst, const Tensor& src);
/// dst = dst * s in place.
void scale_inplace(Tensor& dst, double s);

/// Inverted dropout of a float tensor, rate in [0, 1): returns {y, keep} with keep[i] = 0 where
/// element i is dropped, else 1 / (1 - rate), and y = x * keep. Element i is dropped exactly when
/// the generator's (i+1)-th next_double() would be below rate; the generator ends x.numel() draws
/// further on, so the mask is the same at every thread count and ISA.
std::pair<Tensor, Tensor> dropout(const Tensor& x, double rate, Generator& gen);

}  // namespace tg::core
