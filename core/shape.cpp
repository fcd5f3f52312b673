#include "core/shape.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

#include "core/error.hpp"

namespace tg {

Shape::Shape(std::initializer_list<std::int64_t> dims)
    : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  if (dims.size() > max_rank) fail("Shape: rank ", dims.size(), " exceeds the maximum of ", max_rank);
  for (std::int64_t d : dims) {
    if (d < 0) fail("Shape: negative dimension ", d);
    dims_[static_cast<std::size_t>(rank_++)] = d;
  }
}

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  // Shapes come from files too: a product past int64 would wrap to a small, plausible count.
  for (int i = 0; i < rank_; ++i)
    if (__builtin_mul_overflow(n, dims_[static_cast<std::size_t>(i)], &n))
      fail("Shape: the element count of ", str(), " overflows 64 bits");
  return n;
}

std::size_t Shape::nbytes(std::size_t elem_size) const {
  std::size_t n = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(numel()), elem_size, &n))
    fail("Shape: the byte size of ", str(), " (", elem_size, " bytes per element) overflows 64 bits");
  return n;
}

void Shape::push_back(std::int64_t d) {
  if (rank_ == max_rank) fail("Shape: rank exceeds the maximum of ", max_rank);
  if (d < 0) fail("Shape: negative dimension ", d);
  dims_[static_cast<std::size_t>(rank_++)] = d;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '(';
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << dims_[static_cast<std::size_t>(i)];
  if (rank_ == 1) os << ',';
  os << ')';
  return os.str();
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  const int r = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < r; ++i) {
    const int ia = a.rank() - r + i, ib = b.rank() - r + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) fail(op, ": cannot broadcast ", a, " with ", b);
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

int normalize_axis(std::int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank)
    fail(op, ": axis ", axis, " is out of range for a tensor of rank ", rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace tg
