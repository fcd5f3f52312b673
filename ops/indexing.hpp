#pragma once
/// \file
/// Differentiable indexing: Python-style slices on any axis, a NumPy-like index list, gather along
/// any axis, padding; and one_hot (not differentiable).
///
///     using namespace tg::indexing;
///     Tensor y = x.index({Slice(1, None, 2), 3, NewAxis, Ellipsis});   // x[1::2, 3, None, ...]
///     Tensor r = slice(x, 0, None, None, -1);                          // x[::-1]
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

namespace indexing {

/// Python's None: an open bound in a Slice (`Slice(1, None, 2)` is `1::2`), or a new axis of
/// length 1 as an index entry (as NumPy's and LibTorch's None).
inline constexpr std::nullopt_t None = std::nullopt;

struct EllipsisIndex {};
/// `...`: as many full slices as the axes the other entries leave.
inline constexpr EllipsisIndex Ellipsis{};

struct NewAxisIndex {};
/// A new axis of length 1 (numpy.newaxis).
inline constexpr NewAxisIndex NewAxis{};

/// start:stop:step with Python's rules: a negative bound counts from the end, a bound past either
/// end is clamped, an open bound (None) means the whole way in the step's direction; step != 0.
struct Slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;
  Slice(std::optional<std::int64_t> start_ = std::nullopt, std::optional<std::int64_t> stop_ = std::nullopt,
        std::int64_t step_ = 1)
      : start(start_), stop(stop_), step(step_) {}
};

/// One entry of an index list: an integer (picks one position and drops the axis; negative counts
/// from the end), a Slice, Ellipsis, NewAxis or None (a new axis), or an int32/int64 tensor of
/// any shape (gathers along the axis, as a NumPy integer-array index; negative values count from
/// the end). At most one tensor entry per index list.
class TensorIndex {
 public:
  TensorIndex(std::int64_t i) : v_(i) {}
  TensorIndex(Slice s) : v_(s) {}
  TensorIndex(EllipsisIndex e) : v_(e) {}
  TensorIndex(NewAxisIndex n) : v_(n) {}
  TensorIndex(std::nullopt_t) : v_(NewAxisIndex{}) {}
  TensorIndex(const Tensor& t) : v_(t) {}
  const std::variant<std::int64_t, Slice, EllipsisIndex, NewAxisIndex, Tensor>& value() const { return v_; }

 private:
  std::variant<std::int64_t, Slice, EllipsisIndex, NewAxisIndex, Tensor> v_;
};

}  // namespace indexing

/// x[start:stop:step] along `axis`, with Python's rules (see indexing::Slice); a copy. The axis
/// keeps its place, with length max(0, ceil((stop - start) / step)) after normalising the bounds.
Tensor slice(const Tensor& x, std::int64_t axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
             std::int64_t step = 1);

/// NumPy's x[i0, i1, ..] for integers, Slices, Ellipsis, NewAxis/None and one integer tensor
/// (NumPy's placement: the tensor's dimensions replace its axis, or go first when integers and the
/// tensor are not adjacent in the list). Entries that neither pick nor slice (full slices, new
/// axes, Ellipsis) give a view of x; otherwise a copy. Same as `x.index({...})`.
Tensor index(const Tensor& x, std::initializer_list<indexing::TensorIndex> indices);
Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& indices);

/// tf.gather: x [A.., n, B..] with int32/int64 `indices` [I..] (values in [0, n)) -> [A.., I.., B..].
/// The gradient adds up where an index repeats.
Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis = 0);

enum class PadMode { constant, reflect, symmetric };
/// tf.pad: `paddings[d] = {before, after}` for every axis d (>= 0). reflect mirrors without the edge
/// ([1 2 3] padded 2 on the left -> [3 2 1 2 3]; needs padding < the axis length), symmetric
/// repeats it ([2 1 1 2 3]; padding <= the axis length). The gradient of the padding flows back
/// to the elements it copies. x -> x.shape + before + after
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings,
           PadMode mode = PadMode::constant, double constant_value = 0);

/// indices [I..] (int32/int64) -> [I.., depth] of `dtype`, on_value at each index and off_value
/// elsewhere; an index outside [0, depth) gives a row of off_value (tf.one_hot). Not differentiable.
Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype = DType::float32, double on_value = 1,
               double off_value = 0);

}  // namespace tg
