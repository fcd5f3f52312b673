#pragma once
// User mistakes throw these; the message names the operation, the shapes and what was expected.
#include <sstream>
#include <stdexcept>
#include <string>

namespace tg {

// Shape, dtype, axis or value errors in a call: derived from std::invalid_argument.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// An allocation that failed, with what was being allocated (a bare std::bad_alloc says nothing).
class MemoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds a message from streamable parts: fail<ShapeError>("add: cannot broadcast ", a, " with ", b).
template <class E = ShapeError, class... Args>
[[noreturn]] void fail(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw E(os.str());
}

}  // namespace tg
