#include "io/h5.hpp"
#include "io/h5_detail.hpp"

#include "core/allocator.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>

namespace tg::io::h5 {
namespace {

// The innermost libhdf5 message of the current error stack ("" when empty); clears the stack.
std::string hdf5_reason() {
  std::string msg;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err->desc) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

float half_to_float(std::uint16_t h) {
  const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(mant + 1024), exp - 25);
  return sign ? -v : v;
}

std::uint16_t float_to_half(double d) {
  const float f = static_cast<float>(d);
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000);
  const int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
  std::uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const int shift = 14 - exp;
    std::uint32_t h = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (static_cast<std::uint32_t>(exp) << 10) | (mant >> 13);
  const std::uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;  // may carry into the exponent: correct
  return static_cast<std::uint16_t>(sign | h);
}

bool is_ieee_half(hid_t type) {
  size_t spos, epos, esize, mpos, msize;
  if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 2) return false;
  if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0) return false;
  return spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10 && H5Tget_ebias(type) == 15;
}

std::string class_text(H5T_class_t cls) {
  switch (cls) {
    case H5T_STRING: return "strings";
    case H5T_COMPOUND: return "compound records";
    case H5T_ENUM: return "enum values";
    case H5T_OPAQUE: return "opaque data";
    case H5T_REFERENCE: return "object references";
    case H5T_VLEN: return "variable-length sequences";
    case H5T_ARRAY: return "array elements";
    case H5T_BITFIELD: return "bitfields";
    case H5T_TIME: return "time values";
    default: return "data of an unknown type";
  }
}

std::vector<std::string> split_path(const std::string& rel) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const std::size_t slash = rel.find('/', start);
    const std::size_t end = slash == std::string::npos ? rel.size() : slash;
    if (end > start) parts.push_back(rel.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

[[noreturn]] void raise(const std::string& what, const std::string& file, const std::string& path) {
  std::string msg = what + ": " + file;
  if (!path.empty()) msg += " at " + path;
  const std::string why = hdf5_reason();
  if (!why.empty()) msg += " (HDF5: " + why + ")";
  throw FileError(msg);
}

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5open(); });
  // Per-thread in thread-safe builds, so set it every time rather than once.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

bool has_hdf5_signature(const std::string& path, std::string* why) {
  namespace fs = std::filesystem;
  auto say = [&](const char* s) {
    if (why) *why = s;
    return false;
  };
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return say("no such file");
  if (fs::is_directory(st)) return say("a directory");
  if (!fs::is_regular_file(st)) return say("not a regular file");
  const auto size = fs::file_size(path, ec);
  if (ec) return say("cannot stat");
  if (size == 0) return say("empty file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return say("cannot open for reading");
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  // The superblock sits at 0 or, after a user block, at 512, 1024, 2048, ...
  for (std::uintmax_t off = 0; off + 8 <= size; off = off == 0 ? 512 : off * 2) {
    unsigned char buf[8] = {};
    in.seekg(static_cast<std::streamoff>(off));
    if (!in.read(reinterpret_cast<char*>(buf), 8)) break;
    if (std::memcmp(buf, sig, 8) == 0) return true;
  }
  return say("no HDF5 signature");
}

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

bool Id::reset() {
  bool ok = true;
  if (id_ >= 0 && close_) ok = close_(id_) >= 0;
  id_ = H5I_INVALID_HID;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Dataset

std::vector<std::int64_t> Dataset::shape() const {
  Id space(check(H5Dget_space(id()), "cannot read dataspace", file_, path_), H5Sclose);
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "cannot read dataspace", file_, path_);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::int64_t Dataset::numel() const {
  std::int64_t n = 1;
  for (auto d : shape()) {
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) fail("dataset has an absurd shape");
    n *= d;
  }
  return n;
}

H5T_class_t Dataset::type_class() const {
  Id type(check(H5Dget_type(id()), "cannot read datatype", file_, path_), H5Tclose);
  return H5Tget_class(type.get());
}

std::size_t Dataset::type_size() const {
  Id type(check(H5Dget_type(id()), "cannot read datatype", file_, path_), H5Tclose);
  return H5Tget_size(type.get());
}

std::string Dataset::dtype_name() const {
  Id type(check(H5Dget_type(id()), "cannot read datatype", file_, path_), H5Tclose);
  const std::size_t size = H5Tget_size(type.get());
  switch (H5Tget_class(type.get())) {
    case H5T_FLOAT:
      return size == 2 ? "float16" : size == 4 ? "float32" : size == 8 ? "float64" : "other";
    case H5T_INTEGER:
      return (H5Tget_sign(type.get()) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(size * 8);
    case H5T_STRING:
      return "string";
    default:
      return "other";
  }
}

// Refuses, before anything is allocated, datasets whose data would come from elsewhere (external
// raw storage, virtual datasets: a model file must not make us read other files on the machine)
// and headers that promise more data than the file holds (a flipped byte in the dims, a "shape
// bomb" of unallocated chunks that would read as fill values).
void Dataset::check_storage(std::int64_t n, std::size_t elem_size) const {
  Id plist(check(H5Dget_create_plist(id()), "cannot read dataset layout", file_, path_), H5Pclose);
  const int external = H5Pget_external_count(plist.get());
  if (external != 0)
    fail("refusing dataset with external raw storage (its data would be read from " +
         (external > 0 ? std::to_string(external) : std::string("some")) + " other file(s) on this machine)");
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout == H5D_VIRTUAL) fail("refusing virtual dataset (its data would be mapped from other datasets or files)");
  if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT) fail("cannot read dataset layout");
  std::uint64_t want = 0, as_double = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(n), elem_size, &want) ||
      __builtin_mul_overflow(static_cast<std::uint64_t>(n), sizeof(double), &as_double))
    fail("dataset has an absurd shape (" + std::to_string(n) + " elements)");
  if (as_double > alloc::memory_limit())
    fail("dataset of " + std::to_string(n) + " elements needs " + std::to_string(as_double) +
         " bytes to read, more than the memory limit of " + std::to_string(alloc::memory_limit()) + " bytes");
  const hsize_t have = H5Dget_storage_size(id());
  hid_t fid = H5Iget_file_id(id());
  hsize_t file_size = 0;
  if (fid >= 0) {
    H5Fget_filesize(fid, &file_size);
    H5Fclose(fid);
  }
  if (file_size > 0 && have > file_size)
    fail("dataset storage (" + std::to_string(have) + " bytes) is larger than the file (corrupt file?)");
  if (layout == H5D_CONTIGUOUS && have != 0 && have != want)
    fail("dataset shape needs " + std::to_string(want) + " bytes but its storage holds " + std::to_string(have) +
         " (corrupt file?)");
  // Chunks may be compressed (deflate expands at most ~1032:1) or partly unallocated; beyond that
  // slack the shape is not backed by the file.
  constexpr std::uint64_t slack = 1 << 16;
  if (want > slack && want / 1100 > have)
    fail("dataset shape needs " + std::to_string(want) + " bytes but the file stores only " + std::to_string(have) +
         " for it (corrupt file?)");
}

std::vector<double> Dataset::read_double() const {
  Id type(check(H5Dget_type(id()), "cannot read datatype", file_, path_), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail("dataset holds " + class_text(cls) + ", expected numbers");
  const std::int64_t n = numel();
  check_storage(n, H5Tget_size(type.get()));
  std::vector<double> out(static_cast<std::size_t>(n));
  if (n == 0) return out;
  if (is_ieee_half(type.get())) {
    Id mem(H5Tcopy(type.get()), H5Tclose);
    check(H5Tset_order(mem.get(), H5Tget_order(H5T_NATIVE_UINT16)), "cannot read float16 data", file_, path_);
    std::vector<std::uint16_t> raw(static_cast<std::size_t>(n));
    check(H5Dread(id(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), "cannot read dataset", file_, path_);
    std::transform(raw.begin(), raw.end(), out.begin(), [](std::uint16_t h) { return double(half_to_float(h)); });
    return out;
  }
  check(H5Dread(id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "cannot read dataset", file_,
        path_);
  return out;
}

std::vector<float> Dataset::read_float() const {
  const auto d = read_double();
  return {d.begin(), d.end()};
}

// ---------------------------------------------------------------------------------------------
// Group

bool Group::exists(const std::string& rel) const {
  std::string sofar;
  for (const auto& part : split_path(rel)) {
    sofar += (sofar.empty() ? "" : "/") + part;
    const htri_t r = H5Lexists(id(), sofar.c_str(), H5P_DEFAULT);
    if (r <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    // An external link would open another file on this machine: never follow one.
    H5L_info_t info;
    if (H5Lget_info(id(), sofar.c_str(), &info, H5P_DEFAULT) < 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (info.type != H5L_TYPE_HARD && info.type != H5L_TYPE_SOFT)
      fail("refusing " + std::string(info.type == H5L_TYPE_EXTERNAL ? "external link" : "user-defined link") + " '" +
           sofar + "' (it would open another file)");
  }
  return true;
}

namespace {
H5I_type_t object_type(hid_t loc, const std::string& rel) {
  hid_t o = H5Oopen(loc, rel.c_str(), H5P_DEFAULT);
  if (o < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  const H5I_type_t t = H5Iget_type(o);
  H5Oclose(o);
  return t;
}
}  // namespace

bool Group::has_group(const std::string& rel) const { return exists(rel) && object_type(id(), rel) == H5I_GROUP; }
bool Group::has_dataset(const std::string& rel) const {
  return exists(rel) && object_type(id(), rel) == H5I_DATASET;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names) < 0) fail("cannot list group");
  return names;
}

Group Group::group(const std::string& rel) const {
  if (!exists(rel)) fail("no group '" + rel + "'");
  hid_t g = H5Gopen2(id(), rel.c_str(), H5P_DEFAULT);
  if (g < 0) fail("cannot open group '" + rel + "'");
  return Group(Id(g, H5Gclose), file_, child_path(rel));
}

Dataset Group::dataset(const std::string& rel) const {
  if (!exists(rel)) fail("no dataset '" + rel + "'");
  hid_t d = H5Dopen2(id(), rel.c_str(), H5P_DEFAULT);
  if (d < 0) fail("cannot open dataset '" + rel + "'");
  return Dataset(Id(d, H5Dclose), file_, child_path(rel));
}

Group Group::require_group(const std::string& rel) const {
  if (exists(rel)) return group(rel);
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0) fail("cannot create group '" + rel + "'");
  hid_t g = H5Gcreate2(id(), rel.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) fail("cannot create group '" + rel + "'");
  return Group(Id(g, H5Gclose), file_, child_path(rel));
}

Dataset Group::write_dataset(const std::string& rel, const std::vector<std::int64_t>& shape,
                             const std::vector<double>& values, NumType type) const {
  std::uint64_t n = 1;
  std::vector<hsize_t> dims;
  for (auto d : shape) {
    if (d < 0) fail("cannot write dataset '" + rel + "': negative dimension");
    dims.push_back(static_cast<hsize_t>(d));
    n *= static_cast<std::uint64_t>(d);
  }
  if (n != values.size())
    fail("cannot write dataset '" + rel + "': shape needs " + std::to_string(n) + " values, got " +
         std::to_string(values.size()));
  const std::string what = "cannot write dataset '" + rel + "'";
  const char* w = what.c_str();
  Id space(check(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 w, file_, path_),
           H5Sclose);
  Id half;
  hid_t file_type = H5T_IEEE_F32LE;
  if (type == NumType::float64) file_type = H5T_IEEE_F64LE;
  if (type == NumType::int64) file_type = H5T_STD_I64LE;
  if (type == NumType::float16) {
    half = Id(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
    if (!half.valid() || H5Tset_fields(half.get(), 15, 10, 5, 0, 10) < 0 || H5Tset_size(half.get(), 2) < 0 ||
        H5Tset_ebias(half.get(), 15) < 0)
      fail(what);
    file_type = half.get();
  }
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0) fail(what);
  hid_t d = H5Dcreate2(id(), rel.c_str(), file_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0) fail(what);
  Dataset ds(Id(d, H5Dclose), file_, child_path(rel));
  if (n == 0) return ds;
  if (type == NumType::float16) {
    std::vector<std::uint16_t> raw(values.size());
    std::transform(values.begin(), values.end(), raw.begin(), float_to_half);
    Id mem(H5Tcopy(file_type), H5Tclose);
    check(H5Tset_order(mem.get(), H5Tget_order(H5T_NATIVE_UINT16)), w, file_, path_);
    check(H5Dwrite(d, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), w, file_, path_);
  } else {
    check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), w, file_, path_);
  }
  return ds;
}

// ---------------------------------------------------------------------------------------------
// File

File File::open(const std::string& path) {
  silence_errors();
  std::string why;
  if (!has_hdf5_signature(path, &why)) throw FileError("not an HDF5 file: " + path + " (" + why + ")");
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) raise("cannot open HDF5 file (corrupt or truncated?)", path, "");
  Id fid(f, H5Fclose);
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) raise("cannot open root group", path, "/");
  return File(Id(root, H5Gclose), std::move(fid), path);
}

File File::open_image(const std::vector<unsigned char>& bytes, const std::string& name) {
  silence_errors();
  if (bytes.size() < 8 || bytes[0] != 0x89 || bytes[1] != 'H' || bytes[2] != 'D' || bytes[3] != 'F')
    throw FileError("not an HDF5 file: " + name);
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<unsigned char*>(bytes.data()), bytes.size()) < 0)
    raise("cannot set up in-memory HDF5 image", name, "");
  hid_t f = H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (f < 0) raise("cannot open HDF5 image (corrupt or truncated?)", name, "");
  Id fid(f, H5Fclose);
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) raise("cannot open root group", name, "/");
  return File(Id(root, H5Gclose), std::move(fid), name);
}

File File::create(const std::string& path) {
  silence_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) raise("cannot create HDF5 file", path, "");
  Id fid(f, H5Fclose);
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) raise("cannot open root group", path, "/");
  return File(Id(root, H5Gclose), std::move(fid), path);
}

File File::create_in_memory(const std::string& name) {
  silence_errors();
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0)
    raise("cannot set up in-memory HDF5 file", name, "");
  hid_t f = H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (f < 0) raise("cannot create in-memory HDF5 file", name, "");
  Id fid(f, H5Fclose);
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) raise("cannot open root group", name, "/");
  return File(Id(root, H5Gclose), std::move(fid), name);
}

File::~File() {
  id_.reset();
  file_id_.reset();
}

std::vector<unsigned char> File::image() const {
  if (H5Fflush(file_id_.get(), H5F_SCOPE_GLOBAL) < 0) raise("cannot flush", file_, "");
  const ssize_t n = H5Fget_file_image(file_id_.get(), nullptr, 0);
  if (n < 0) raise("cannot get file image", file_, "");
  std::vector<unsigned char> out(static_cast<std::size_t>(n));
  if (H5Fget_file_image(file_id_.get(), out.data(), out.size()) < 0) raise("cannot get file image", file_, "");
  return out;
}

void File::close() {
  const bool root_ok = id_.reset();
  const bool file_ok = file_id_.reset();
  if (!root_ok || !file_ok) raise("cannot close (write failed?)", file_, "");
}

}  // namespace tg::io::h5
