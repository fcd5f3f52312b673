#pragma once
/// \file
/// Layout operations that copy: permute/transpose, concat, slice, row gather.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace tg::core {

/// out.shape[i] = t.shape[perm[i]]
Tensor permute(const Tensor& t, const std::vector<std::int64_t>& perm);
/// Reverses the axes ([M, N] -> [N, M]), as numpy's transpose().
Tensor transpose(const Tensor& t);
/// Joins tensors along `axis`; all other dimensions and the dtype must agree.
Tensor concat(const std::vector<Tensor>& ts, std::int64_t axis);
/// Elements [begin, end) along `axis`, copied.
Tensor slice(const Tensor& t, std::int64_t axis, std::int64_t begin, std::int64_t end);
/// [N, ...] gathered by int32/int64 `indices` [K] -> [K, ...]; indices must lie in [0, N).
Tensor gather_rows(const Tensor& t, const Tensor& indices);
/// Scatter-add of rows: out = zeros(shape); out[indices[k]] += rows[k]. The inverse of gather_rows.
Tensor scatter_add_rows(const Tensor& rows, const Tensor& indices, const Shape& shape);

}  // namespace tg::core
