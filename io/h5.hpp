#pragma once
/// @file
/// A small RAII layer over the HDF5 1.10 C API: files (on disk or in memory), groups, datasets,
/// attributes. Only what the Keras and tensor-file code needs.
///
/// Every failure is a tg::io::FileError whose message names the file and the object path inside
/// it. libhdf5's own error printing is switched off the first time any function here runs, so a
/// corrupt file never dumps an HDF5 error stack on stderr.
#include <hdf5.h>

#include "io/file_error.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tg::io {

namespace h5 {

/// How a string attribute is stored. Keras files use all of these (keras-h5-format.md §0).
enum class StrType { fixed_ascii, fixed_utf8, vlen_ascii, vlen_utf8 };

/// Element type of a numeric dataset, for writing and for reporting.
enum class NumType { float16, float32, float64, int64 };

/// What an attribute holds, for structural comparisons and tests.
struct AttrInfo {
  bool is_string = false;
  bool vlen = false;         // strings only
  bool utf8 = false;         // strings only
  std::size_t size = 0;      // bytes per element (fixed strings: STRSIZE)
  H5T_class_t type_class = H5T_NO_CLASS;
  bool scalar = false;       // SCALAR dataspace
  std::vector<std::int64_t> dims;  // empty for scalar
};

/// Switches off libhdf5's automatic error printing (idempotent, cheap).
void silence_errors();

/// True when `path` is a regular file starting with the HDF5 signature (at offset 0 or at a
/// user-block offset 512, 1024, ...). Otherwise false and `why` (if given) says what it is.
bool has_hdf5_signature(const std::string& path, std::string* why = nullptr);

/// Owns one hid_t and closes it with the matching H5?close. Move-only.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id() = default;
  Id(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Id() { reset(); }
  Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& o) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns false when HDF5 reports an error (e.g. a failed flush).
  bool reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// A group or dataset: attribute access and error reporting shared by both.
class Object {
 public:
  hid_t id() const { return id_.get(); }
  const std::string& file_path() const { return file_; }
  /// Path inside the file, e.g. "/model_weights/dense".
  const std::string& path() const { return path_; }
  /// The object's address in its file: equal for two paths that reach the same object (hard or
  /// soft links), which is how the readers detect link cycles.
  std::uint64_t address() const;

  bool has_attr(const std::string& name) const;
  std::vector<std::string> attr_names() const;  // sorted
  AttrInfo attr_info(const std::string& name) const;

  /// A scalar string attribute in any of the four encodings (a 1-element array is accepted).
  std::string read_string_attr(const std::string& name) const;
  /// A string-array attribute in any encoding; a zero-length attribute of any type (Keras writes
  /// an empty list as a float64 array of length 0) reads as an empty list.
  std::vector<std::string> read_string_list_attr(const std::string& name) const;

  /// Replaces or creates a scalar string attribute. A fixed-length string longer than 64000
  /// bytes would not fit in an object header, so it is written variable-length instead.
  void write_string_attr(const std::string& name, const std::string& value,
                         StrType type = StrType::fixed_ascii) const;
  /// Replaces or creates a 1-D string-array attribute; an empty list is written as Keras does,
  /// a float64 array of shape (0,).
  void write_string_list_attr(const std::string& name, const std::vector<std::string>& values,
                              StrType type = StrType::fixed_ascii) const;

  /// Throws FileError "<what>: <file> at <path>[ (HDF5: <innermost libhdf5 message>)]".
  [[noreturn]] void fail(const std::string& what) const;

 protected:
  Object(Id id, std::string file, std::string path)
      : id_(std::move(id)), file_(std::move(file)), path_(std::move(path)) {}
  std::string child_path(const std::string& rel) const;

  Id id_;
  std::string file_;
  std::string path_;
};

class Dataset : public Object {
 public:
  std::vector<std::int64_t> shape() const;  // empty for a scalar
  std::int64_t numel() const;
  H5T_class_t type_class() const;
  std::size_t type_size() const;
  /// "float16", "float32", "float64", "int8".."int64", "uint8".."uint64", "string" or "other".
  std::string dtype_name() const;
  /// The values converted to double / float (float16 decoded by hand, integers converted).
  std::vector<double> read_double() const;
  std::vector<float> read_float() const;

 private:
  friend class Group;
  using Object::Object;
  void check_storage(std::int64_t n, std::size_t elem_size) const;
};

class Group : public Object {
 public:
  /// True when every component of the relative path `rel` exists as a link. An external or
  /// user-defined link on the way is refused (FileError): a file must not open other files.
  bool exists(const std::string& rel) const;
  bool has_group(const std::string& rel) const;
  bool has_dataset(const std::string& rel) const;
  /// Names of the direct children (groups and datasets), sorted by name as HDF5 stores them.
  std::vector<std::string> children() const;

  Group group(const std::string& rel) const;
  Dataset dataset(const std::string& rel) const;
  /// Creates `rel` and any missing intermediate groups; returns the existing group if present.
  Group require_group(const std::string& rel) const;
  /// Writes a contiguous, uncompressed dataset at `rel` (intermediate groups created).
  /// `values.size()` must equal the product of `shape` ([] is a scalar).
  Dataset write_dataset(const std::string& rel, const std::vector<std::int64_t>& shape,
                        const std::vector<double>& values, NumType type = NumType::float32) const;

 protected:
  friend class File;
  using Object::Object;
};

class File : public Group {
 public:
  /// Opens read-only after checking the signature ("not an HDF5 file: <path>").
  static File open(const std::string& path);
  /// Opens an in-memory image (e.g. model.weights.h5 inside a .keras zip); `name` is used in
  /// messages. The bytes are copied.
  static File open_image(const std::vector<unsigned char>& bytes, const std::string& name);
  /// Creates a new file; fails if `path` exists.
  static File create(const std::string& path);
  /// Creates a file that lives only in memory; get its bytes with image().
  static File create_in_memory(const std::string& name);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File();

  /// The bytes of the file as it would be on disk (flushes first).
  std::vector<unsigned char> image() const;
  /// Closes the root group and the file, reporting a failed flush as FileError.
  void close();

 private:
  File(Id root, Id file, std::string path) : Group(std::move(root), path, "/"), file_id_(std::move(file)) {}
  Id file_id_;
};

}  // namespace h5
}  // namespace tg::io
