#pragma once
/// \file
/// Tensors to and from HDF5 for inspection: one dataset per name, "/" in a name making groups, so
/// gradients and activations open directly in h5py, h5dump or HDFView.
///
///     tg::save_tensors({{"grads/dense/kernel", g[0]}, {"grads/dense/bias", g[1]}}, "grads.h5");
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

/// Writes float32/float64 tensors (integer tensors as float64) atomically to `path`.
void save_tensors(const std::vector<std::pair<std::string, Tensor>>& named, const std::string& path);
/// Every dataset in the file, by name (float64 datasets as float64, others float32).
std::map<std::string, Tensor> load_tensors(const std::string& path);

}  // namespace tg
