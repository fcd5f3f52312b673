#pragma once
/// \file
/// The error every file reader and writer of tapegrad throws.
#include <stdexcept>

namespace tg::io {

/// Any failure to read or write a file: missing, not HDF5, corrupt, unexpected layout, I/O error.
/// The message names the file and the object inside it.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tg::io
