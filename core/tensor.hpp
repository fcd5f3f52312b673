#pragma once
/// \file
/// Tensor: an n-dimensional array of float32, float64, int32 or int64, row-major and contiguous.
///
/// A Tensor is a cheap handle. Copying a Tensor ALIASES it: both handles name the same tensor,
/// and writes through one are seen through the other. `clone()` makes an independent copy.
/// `reshape` of a tensor returns a view sharing the storage. Storage is 64-byte aligned and comes
/// from the caching allocator (core/allocator.hpp).
///
/// The identity of a tensor (what `id()` returns, what autograd keys on) belongs to the handle's
/// target: copies share it, views and clones get a new one.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/shape.hpp"

namespace tg {

class Generator;
class Tensor;
namespace indexing {
class TensorIndex;  // ops/indexing.hpp
}
namespace core {
Tensor view(const Tensor& x, std::span<const std::int64_t> shape);
Tensor rows_view(const Tensor& x, std::int64_t begin, std::int64_t end);
}  // namespace core

namespace detail {

// A reference-counted block of aligned memory. `refs` counts tensors using the memory, `weak`
// counts observers of the block itself (plus one for all of `refs` together): the memory goes
// when `refs` reaches 0, the block when `weak` does. `version` counts in-place writes, so that
// autograd can tell a value it saved was changed after it was recorded (PyTorch's version counter).
struct Storage {
  std::atomic<std::int64_t> refs{1};
  std::atomic<std::int64_t> weak{1};
  std::atomic<std::uint64_t> version{0};
  void* data = nullptr;
  std::size_t bytes = 0;
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};
// Drops one tensor reference: frees the memory at the last, and the block once no observer is left.
void release_storage(Storage* s) noexcept;

/// Observes a tensor's storage without keeping its memory alive: whether it still lives and how
/// many in-place writes it has seen.
class StorageObserver {
 public:
  StorageObserver() = default;
  explicit StorageObserver(Storage* s) noexcept;
  StorageObserver(const StorageObserver& o) noexcept;
  StorageObserver& operator=(const StorageObserver& o) noexcept;
  ~StorageObserver();
  bool alive() const noexcept { return s_ && s_->refs.load(std::memory_order_acquire) > 0; }
  std::uint64_t version() const noexcept { return s_ ? s_->version.load(std::memory_order_acquire) : 0; }

 private:
  Storage* s_ = nullptr;
};

// What a Tensor handle points to. `autograd` is an opaque slot owned by the autograd layer
// (core knows nothing about gradients); it is released through `autograd_deleter`.
struct TensorImpl {
  std::atomic<std::int64_t> refs{1};
  Storage* storage = nullptr;
  std::int64_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::float32;
  std::uint64_t id = 0;
  void* autograd = nullptr;
  static constexpr int kCompanions = 2;  // see Tensor::set_companion
  TensorImpl* companions[kCompanions] = {};
  int companion_tags[kCompanions] = {};
  TensorImpl();
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
};

using AutogradDeleter = void (*)(void*);
void set_autograd_deleter(AutogradDeleter d);

}  // namespace detail

class Tensor {
 public:
  /// An undefined tensor (no storage); `defined()` is false.
  Tensor() = default;
  /// An uninitialised tensor of the given shape and dtype.
  Tensor(const Shape& shape, DType dtype = DType::float32);
  Tensor(const Tensor& o) noexcept;
  Tensor(Tensor&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
  Tensor& operator=(const Tensor& o) noexcept;
  Tensor& operator=(Tensor&& o) noexcept;
  ~Tensor();

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  DType dtype() const { return impl().dtype; }
  int rank() const { return impl().shape.rank(); }
  std::int64_t numel() const { return impl().shape.numel(); }
  std::int64_t dim(std::int64_t axis) const;
  std::uint64_t id() const { return impl().id; }

  template <class T>
  T* data() {
    check_dtype(dtype_of<T>::value, "data");
    return static_cast<T*>(raw_data());
  }
  template <class T>
  const T* data() const {
    check_dtype(dtype_of<T>::value, "data");
    return static_cast<const T*>(raw_data());
  }
  void* raw_data() const;

  /// Element at a multi-index, converted to double (for tests and printing).
  double at(std::initializer_list<std::int64_t> index) const;
  /// The single element of a one-element tensor, converted to double.
  double item() const;
  /// All elements, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // These are differentiable: they record on an alive GradientTape exactly as the free functions
  // tg::clone, tg::reshape, tg::slice_rows, tg::cast, tg::slice and tg::index do (they are defined
  // with them, in ops/tensor_methods.cpp), so choosing a method never loses a gradient. core's
  // non-recording forms are core::copy, core::view, core::rows_view and core::convert.
  /// An independent copy of the data.
  Tensor clone() const;
  /// A view with the same storage and a new shape; one dimension may be -1.
  Tensor reshape(std::span<const std::int64_t> shape) const;
  Tensor reshape(std::initializer_list<std::int64_t> shape) const {
    return reshape(std::span<const std::int64_t>(shape.begin(), shape.size()));
  }
  /// Rows [begin, end) of the first axis, as a view.
  Tensor slice_rows(std::int64_t begin, std::int64_t end) const;
  /// A copy converted to another dtype (returns *this when the dtype already matches).
  Tensor to(DType dtype) const;
  /// x[start:stop:step] along `axis` with Python's rules, a copy (tg::slice; std::nullopt or
  /// tg::indexing::None leaves a bound open).
  Tensor slice(std::int64_t axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
               std::int64_t step = 1) const;
  /// NumPy-style indexing (tg::index, ops/indexing.hpp): with `using namespace tg::indexing`,
  /// `x.index({Slice(1, None, 2), 3, NewAxis, Ellipsis})` is NumPy's x[1::2, 3, None, ...].
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;

  // In-place writes. They count as a new version of the storage: a tape that saved the old
  // value refuses to differentiate through it (see GradientTape::gradient). Code that writes
  // through data<T>() into a tensor that may have been recorded calls mark_modified() itself.
  /// Copies the values of `src` (same shape, any dtype) into this tensor.
  void copy_from(const Tensor& src);
  void fill(double value);
  void mark_modified() const;
  /// The storage's count of in-place writes.
  std::uint64_t version() const;

  /// Another tensor an upper layer attached to this one, with a tag saying what it is: nn attaches
  /// the logits behind a softmax or sigmoid activation's output (Keras' `_keras_logits`), so a
  /// loss given the probabilities can work on the logits, and a layer's output mask (Keras'
  /// `_keras_mask`). core only keeps it alive; a copy, view or op result does not inherit it.
  /// Two tags at a time; costs one reference, no allocation. An undefined `t` removes the tag.
  void set_companion(const Tensor& t, int tag) const;
  /// The tensor attached with `tag`, or an undefined tensor.
  Tensor companion(int tag) const;

  /// True when both handles name the same tensor.
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  bool shares_storage(const Tensor& o) const;

  detail::TensorImpl* unsafe_impl() const { return impl_; }
  detail::StorageObserver observe_storage() const { return detail::StorageObserver(impl().storage); }

  // Factories.
  static Tensor zeros(const Shape& shape, DType dtype = DType::float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::float32);
  static Tensor scalar(double value, DType dtype = DType::float32);
  /// Values plus shape: the number of values must equal the shape's element count.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  static Tensor from_values(std::initializer_list<double> values, const Shape& shape,
                            DType dtype = DType::float32);
  /// 0, step, 2*step, ... below stop, as in numpy.arange(start, stop, step).
  static Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
  /// Uniform in [low, high) and normal(mean, stddev) from an explicit generator: the same seed gives
  /// the same numbers on every machine and thread count.
  static Tensor uniform(const Shape& shape, double low, double high, Generator& gen,
                        DType dtype = DType::float32);
  static Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen,
                       DType dtype = DType::float32);

 private:
  friend Tensor core::view(const Tensor&, std::span<const std::int64_t>);
  friend Tensor core::rows_view(const Tensor&, std::int64_t, std::int64_t);
  static Tensor view_of(const Tensor& x, std::int64_t offset, const Shape& shape);
  explicit Tensor(detail::TensorImpl* impl) : impl_(impl) {}
  const detail::TensorImpl& impl() const;
  void check_dtype(DType want, const char* op) const;
  detail::TensorImpl* impl_ = nullptr;
};

namespace core {
/// The non-recording forms of the Tensor methods above, for core and for backward rules that
/// must not record. `view` shares the storage with a new shape (one dimension may be -1);
/// `rows_view` is rows [begin, end) of the first axis; `copy` copies the data; `convert` copies
/// into another dtype (returns x itself when the dtype matches).
Tensor view(const Tensor& x, std::span<const std::int64_t> shape);
inline Tensor view(const Tensor& x, std::initializer_list<std::int64_t> shape) {
  return view(x, std::span<const std::int64_t>(shape.begin(), shape.size()));
}
Tensor rows_view(const Tensor& x, std::int64_t begin, std::int64_t end);
Tensor copy(const Tensor& x);
Tensor convert(const Tensor& x, DType dtype);
}  // namespace core

/// Numpy-style printing: `tensor([[1, 2], [3, 4]], shape=(2, 2), dtype=float32)`.
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

}  // namespace tg
