#pragma once
/// \file
/// IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic `0x0000 08 NN` (type
/// 0x08 = uint8, NN = number of dimensions), NN big-endian uint32 dimensions, then the bytes.
/// Files may be gzip-compressed or raw; both are read through zlib, which passes raw files through.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace tg::io {

/// A data file that cannot be used as asked: missing, truncated, wrong magic, inconsistent counts.
/// The message always names the file's path.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The raw contents of a uint8 IDX file.
struct IdxData {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> bytes;  // row-major, product(dims) of them
};

/// Reads any uint8 IDX file; `expected_rank` > 0 also checks the magic is `0x000008<rank>`.
IdxData read_idx(const std::string& path, int expected_rank = 0);

/// Images (magic 0x00000803): [n, rows, cols] float32, each pixel divided by `divisor`
/// (255 gives [0, 1]; 1 keeps Keras' raw 0..255 values, as `mnist.load_data()` returns them).
Tensor read_idx_images(const std::string& path, double divisor = 255.0);

/// Labels (magic 0x00000801): [n] int64.
Tensor read_idx_labels(const std::string& path);

/// Writes a uint8 IDX file (magic from dims.size()), gzip-compressed when the path ends in ".gz".
/// `bytes` must hold product(dims) values.
void write_idx(const std::string& path, std::span<const std::int64_t> dims,
               std::span<const std::uint8_t> bytes);

}  // namespace tg::io
