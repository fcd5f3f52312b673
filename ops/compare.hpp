#pragma once
/// \file
/// Comparisons that return masks, and `where`, which picks between two tensors by a mask.
///
/// A mask holds 1 where the comparison holds and 0 elsewhere, in the operands' dtype (tapegrad has
/// no bool dtype), so `x * greater(x, 0.0)` works as it reads. Masks are not differentiable: no
/// gradient flows through a comparison. Operands broadcast as NumPy's and must share a dtype.
#include "core/tensor.hpp"

namespace tg {

// broadcast(a, b) -> broadcast shape, for every comparison here.
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
/// Against a number, converted to a's dtype.
Tensor equal(const Tensor& a, double b);
Tensor not_equal(const Tensor& a, double b);
Tensor less(const Tensor& a, double b);
Tensor less_equal(const Tensor& a, double b);
Tensor greater(const Tensor& a, double b);
Tensor greater_equal(const Tensor& a, double b);

/// a where cond != 0, else b (tf.where with three arguments); cond, a and b broadcast together,
/// cond may have any dtype. Differentiable in a and b: each gets the gradient where it was picked
/// (0 elsewhere), summed over its broadcast dimensions. cond gets none.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// With a number for one branch (converted to the other's dtype).
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);

}  // namespace tg
