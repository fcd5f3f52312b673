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

// Builds a message from streamable parts: fail<ShapeError>("add: cannot broadcast ", a, " with ", b).
template <class E = ShapeError, class... Args>
[[noreturn]] void fail(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw E(os.str());
}

}  // namespace tg
