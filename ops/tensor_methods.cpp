// Tensor's methods that look like ops are ops: each records on an alive tape exactly as the free
// function it forwards to, so `x.reshape(...)` never cuts a gradient that `reshape(x, ...)` keeps.
// They are declared in core/tensor.hpp and defined here, above the tape; core's own code uses the
// non-recording core::view / rows_view / copy / convert.
// tg::clone, tg::slice_rows and tg::cast are in ops/shape.cpp, tg::slice and tg::index in
// ops/indexing.cpp.
#include "core/tensor.hpp"
#include "ops/indexing.hpp"
#include "ops/shape.hpp"

namespace tg {

Tensor Tensor::clone() const { return tg::clone(*this); }

Tensor Tensor::reshape(std::span<const std::int64_t> shape) const {
  return tg::reshape(*this, std::vector<std::int64_t>(shape.begin(), shape.end()));
}

Tensor Tensor::slice_rows(std::int64_t begin, std::int64_t end) const { return tg::slice_rows(*this, begin, end); }

Tensor Tensor::to(DType dtype) const { return tg::cast(*this, dtype); }

Tensor Tensor::slice(std::int64_t axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                     std::int64_t step) const {
  return tg::slice(*this, axis, start, stop, step);
}

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const { return tg::index(*this, indices); }

}  // namespace tg
