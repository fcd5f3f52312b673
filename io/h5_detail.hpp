#pragma once
// Error plumbing shared by io/h5*.cpp; not part of the public API.
#include <string>

#include "io/h5.hpp"

namespace tg::io::h5 {

// Throws FileError "<what>: <file> at <path> (HDF5: <innermost libhdf5 message>)" and clears
// libhdf5's error stack.
[[noreturn]] void raise(const std::string& what, const std::string& file, const std::string& path);

// Checks an hid_t / herr_t / size result; negative means failure.
template <class T>
T check(T r, const char* what, const std::string& file, const std::string& path) {
  if (r < 0) raise(what, file, path);
  return r;
}

}  // namespace tg::io::h5
