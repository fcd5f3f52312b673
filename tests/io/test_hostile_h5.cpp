// Hostile model files (issue 14), part 2: HDF5 features that would make a model file read other
// files on the machine (external links, external raw storage, virtual datasets), datasets whose
// shape the file does not back, and datasets of unexpected types. Each file is built here with
// the HDF5 C API.
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "io/h5.hpp"
#include "io/keras_model.hpp"
#include "io/tensor_file.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(test::scratch_dir()) / "hostile_h5";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

// An HDF5 file open for writing, closed at scope exit.
struct Writer {
  hid_t f;
  explicit Writer(const std::string& path) : f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    BOOST_REQUIRE(f >= 0);
  }
  ~Writer() { H5Fclose(f); }
  // A dataset of `type` and `dims` at `name` with creation properties `dcpl`; writes `data` if given.
  void dataset(const char* name, hid_t type, std::vector<hsize_t> dims, hid_t dcpl = H5P_DEFAULT,
               const void* data = nullptr, hid_t mem_type = -1) const {
    hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    BOOST_REQUIRE(d >= 0);
    if (data) BOOST_REQUIRE(H5Dwrite(d, mem_type >= 0 ? mem_type : type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(s);
  }
};

const std::string secret_text = "root:x:0:0:root:/root:/bin/bash\n";

// A file of this test standing for /etc/passwd: what a hostile model would try to read.
std::string secret_file() {
  const std::string p = scratch("secret.txt");
  std::ofstream(p) << secret_text;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hostile_h5)

BOOST_AUTO_TEST_CASE(external_link_is_not_followed) {
  const std::string other = scratch("other.h5"), path = scratch("elink.h5");
  {
    Writer w(other);
    const float v[2] = {1, 2};
    w.dataset("/x", H5T_IEEE_F32LE, {2}, H5P_DEFAULT, v, H5T_NATIVE_FLOAT);
  }
  {
    Writer w(path);
    BOOST_REQUIRE(H5Lcreate_external(other.c_str(), "/x", w.f, "x", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  }
  test::check_throws_with<io::FileError>([&] { io::load_arrays(path); },
                                         {path, "refusing external link 'x' (it would open another file)"});
  // In a Keras 3 weights file: a layer's kernel drawn from another file.
  const std::string w = scratch("elink.weights.h5");
  nn::Sequential model({nn::Dense(2, "linear", {.name = "dense"})});
  model.build(Shape{1});
  save_weights(model, w);
  {
    hid_t f = H5Fopen(w.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    BOOST_REQUIRE(H5Ldelete(f, "/layers/dense/vars/0", H5P_DEFAULT) >= 0);
    BOOST_REQUIRE(H5Lcreate_external(other.c_str(), "/x", f, "/layers/dense/vars/0", H5P_DEFAULT, H5P_DEFAULT) >= 0);
    H5Fclose(f);
  }
  test::check_throws_with<io::FileError>([&] { load_weights(model, w); }, {w, "refusing external link '0'"});
}

// A dataset whose raw data lives in another file: `predict` wrote /etc/passwd into its output.
BOOST_AUTO_TEST_CASE(external_raw_storage_is_refused) {
  const std::string secret = secret_file(), path = scratch("external.h5");
  {
    Writer w(path);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    BOOST_REQUIRE(H5Pset_external(dcpl, secret.c_str(), 0, secret_text.size()) >= 0);
    w.dataset("/x", H5T_STD_U8LE, {secret_text.size()}, dcpl);
    H5Pclose(dcpl);
  }
  {  // The file does what it says: libhdf5 reads the secret through it.
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/x", H5P_DEFAULT);
    std::string got(secret_text.size(), '\0');
    BOOST_REQUIRE(H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, got.data()) >= 0);
    BOOST_TEST(got == secret_text);
    H5Dclose(d);
    H5Fclose(f);
  }
  test::check_throws_with<io::FileError>([&] { io::load_arrays(path); },
                                         {path, "at /x", "refusing dataset with external raw storage"});
}

BOOST_AUTO_TEST_CASE(virtual_dataset_is_refused) {
  const std::string src = scratch("vds_src.h5"), path = scratch("vds.h5");
  {
    Writer w(src);
    const float v[4] = {1, 2, 3, 4};
    w.dataset("/x", H5T_IEEE_F32LE, {4}, H5P_DEFAULT, v, H5T_NATIVE_FLOAT);
  }
  {
    Writer w(path);
    const hsize_t n = 4;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    BOOST_REQUIRE(H5Pset_virtual(dcpl, space, src.c_str(), "/x", space) >= 0);
    w.dataset("/v", H5T_IEEE_F32LE, {4}, dcpl);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  test::check_throws_with<io::FileError>([&] { io::load_arrays(path); }, {path, "at /v", "refusing virtual dataset"});
}

// A 66 KB file declaring a (30000, 30000) dataset asked for 7.2 GB.
BOOST_AUTO_TEST_CASE(shape_not_backed_by_storage_is_refused_before_allocating) {
  const std::string path = scratch("shape_bomb.h5");
  {
    Writer w(path);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[2] = {100, 100};
    H5Pset_chunk(dcpl, 2, chunk);
    w.dataset("/x", H5T_IEEE_F32LE, {30000, 30000}, dcpl);  // no chunk written: all fill value
    H5Pclose(dcpl);
  }
  BOOST_TEST(fs::file_size(path) < 100000);
  test::check_throws_with<io::FileError>(
      [&] { io::load_arrays(path); }, {path, "at /x", "shape needs 3600000000 bytes but the file stores only 0"});
  // Under a lower memory limit, a dataset that is stored but too large is refused with its size.
  const std::string big = scratch("big.h5");
  {
    Writer w(big);
    std::vector<float> v(1000, 1.0f);
    w.dataset("/x", H5T_IEEE_F32LE, {1000}, H5P_DEFAULT, v.data(), H5T_NATIVE_FLOAT);
  }
  alloc::set_memory_limit(4000);
  try {
    test::check_throws_with<io::FileError>([&] { io::load_arrays(big); },
                                           {big, "1000 elements needs 8000 bytes", "memory limit of 4000"});
  } catch (...) {
    alloc::set_memory_limit(0);
    throw;
  }
  alloc::set_memory_limit(0);
}

// Keras converts integer, float16 and big-endian float weights (numpy does) and cannot use strings
// or records; so do we, with the values checked.
BOOST_AUTO_TEST_CASE(unexpected_dataset_types_converted_or_refused) {
  const std::string path = scratch("types.h5");
  {
    Writer w(path);
    const std::int32_t ints[3] = {-7, 0, 123456};
    w.dataset("/int", H5T_STD_I32BE, {3}, H5P_DEFAULT, ints, H5T_NATIVE_INT32);
    const double be[2] = {1.5, -2.25e10};
    w.dataset("/be64", H5T_IEEE_F64BE, {2}, H5P_DEFAULT, be, H5T_NATIVE_DOUBLE);
    const float bf[2] = {0.1f, -3.0f};
    w.dataset("/be32", H5T_IEEE_F32BE, {2}, H5P_DEFAULT, bf, H5T_NATIVE_FLOAT);
  }
  const auto arrays = io::load_arrays(path);
  BOOST_REQUIRE(arrays.size() == 3);
  std::map<std::string, std::vector<double>> got;
  for (const auto& a : arrays) got[a.name] = a.values;
  BOOST_TEST(got["int"] == (std::vector<double>{-7, 0, 123456}), boost::test_tools::per_element());
  BOOST_TEST(got["be64"] == (std::vector<double>{1.5, -2.25e10}), boost::test_tools::per_element());
  BOOST_TEST(got["be32"] == (std::vector<double>{double(0.1f), -3.0}), boost::test_tools::per_element());

  const std::string strings = scratch("strings.h5");
  {
    Writer w(strings);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 4);
    w.dataset("/s", t, {2}, H5P_DEFAULT, "abcdefgh");
    H5Tclose(t);
  }
  test::check_throws_with<io::FileError>([&] { io::load_arrays(strings); },
                                         {strings, "at /s", "dataset holds strings, expected numbers"});
  const std::string compound = scratch("compound.h5");
  {
    Writer w(compound);
    hid_t t = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(t, "a", 0, H5T_NATIVE_FLOAT);
    H5Tinsert(t, "b", 4, H5T_NATIVE_FLOAT);
    const float v[4] = {1, 2, 3, 4};
    w.dataset("/c", t, {2}, H5P_DEFAULT, v);
    H5Tclose(t);
  }
  test::check_throws_with<io::FileError>([&] { io::load_arrays(compound); },
                                         {compound, "at /c", "dataset holds compound records, expected numbers"});
}

BOOST_AUTO_TEST_SUITE_END()
