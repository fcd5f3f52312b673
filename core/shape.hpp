#pragma once
// A tensor shape: up to 8 dimensions stored inline, so shapes never touch the heap.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace tg {

class Shape {
 public:
  static constexpr int max_rank = 8;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  explicit Shape(const std::vector<std::int64_t>& dims) : Shape(std::span<const std::int64_t>(dims)) {}

  int rank() const { return rank_; }
  std::int64_t operator[](int i) const { return dims_[static_cast<std::size_t>(i)]; }
  std::int64_t& operator[](int i) { return dims_[static_cast<std::size_t>(i)]; }
  // Throws ShapeError naming the shape when the product overflows int64.
  std::int64_t numel() const;
  // numel() * elem_size; throws ShapeError naming the shape when it overflows.
  std::size_t nbytes(std::size_t elem_size) const;
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + rank_; }
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }
  void push_back(std::int64_t d);
  std::int64_t back() const { return dims_[static_cast<std::size_t>(rank_ - 1)]; }
  // Numpy-style "(2, 3)", "(3,)" and "()".
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::array<std::int64_t, max_rank> dims_{};
  int rank_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

// NumPy broadcasting of two shapes; throws ShapeError "<op>: cannot broadcast (a) with (b)".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Normalises a possibly negative axis for a tensor of rank `rank`; throws naming `op`.
int normalize_axis(std::int64_t axis, int rank, const char* op);

}  // namespace tg
