#pragma once
/// @file
/// Named arrays to and from HDF5, one dataset per name; a "/" in a name makes groups, so
/// "grads/dense/kernel" is dataset `kernel` in group `/grads/dense` and opens in h5py or h5dump.
#include <cstdint>
#include <string>
#include <vector>

namespace tg::io {

struct NamedArray {
  std::string name;                 ///< "a/b/c" -> /a/b/c
  std::vector<std::int64_t> shape;  ///< [] for a scalar
  std::vector<double> values;       ///< row-major
  bool float64 = false;             ///< stored as float64, else float32
};

/// Writes all arrays to a new file at `path`, atomically (temporary beside it, then rename).
/// Names must be unique, non-empty and must not be a prefix group of another ("a" and "a/b").
void save_arrays(const std::vector<NamedArray>& arrays, const std::string& path);
/// Every dataset in the file, depth first in name order. float16/32 read as float32, float64
/// and integers as float64.
std::vector<NamedArray> load_arrays(const std::string& path);

}  // namespace tg::io
