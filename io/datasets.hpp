#pragma once
/// \file
/// MNIST-style data sets stored as IDX files (`<split>-images-idx3-ubyte[.gz]` and
/// `<split>-labels-idx1-ubyte[.gz]`, the names of the original distribution and of Debian's
/// `dataset-fashion-mnist`). Keras' `load_data()` returns raw uint8 pixels; these return float32
/// pixels divided by `divisor` (255 by default, so [0, 1]); pass 1 for Keras' 0..255 values.
#include <string>

#include "core/tensor.hpp"
#include "io/idx.hpp"

namespace tg::io {

/// One split: x [n, 28, 28] float32, y [n] int64.
struct Split {
  Tensor x, y;
};

/// Both splits, as Keras' `(x_train, y_train), (x_test, y_test)`. The train tensors are undefined
/// (`defined()` false) when the directory holds no train files, as a test-only copy of MNIST does.
struct Dataset {
  Tensor x_train, y_train, x_test, y_test;
};

/// Loads `<dir>/<split>-images-idx3-ubyte[.gz]` and `<dir>/<split>-labels-idx1-ubyte[.gz]`
/// (also the `<split>-images.idx3-ubyte` spelling); throws DataError when either is missing or the
/// image and label counts differ.
Split load_idx_split(const std::string& dir, const std::string& split, double divisor = 255.0);

/// Test split required, train split optional (absent: undefined tensors; half present: DataError).
Dataset load_mnist(const std::string& dir, double divisor = 255.0);
Dataset load_fashion_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist", double divisor = 255.0);

}  // namespace tg::io
