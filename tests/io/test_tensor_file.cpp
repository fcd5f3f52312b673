// Named arrays to HDF5 and back, with "/" making groups.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "io/h5.hpp"
#include "io/tensor_file.hpp"

namespace {
namespace fs = std::filesystem;

std::string scratch(const std::string& sub) {
  const char* env = std::getenv("TAPEGRAD_TEST_TMP");
  const fs::path dir = fs::path(env ? env : "/tmp/tapegrad-test") / "tensor_file" / sub;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_tensor_file)

BOOST_AUTO_TEST_CASE(round_trip_with_nested_names) {
  const std::string path = scratch("round") + "/grads.h5";
  std::vector<tg::io::NamedArray> in = {
      {"grads/dense/kernel", {2, 3}, {0.5, -1.25, 3.0, 1e-3, 7.0, -0.0}, false},
      {"grads/dense/bias", {3}, {0.1, 0.2, 0.3}, true},
      {"a/b/c", {1, 1, 2}, {1.0 / 3.0, 2.0}, false},
      {"loss", {}, {0.693147}, true},
      {"empty", {0}, {}, false},
  };
  tg::io::save_arrays(in, path);
  const auto out = tg::io::load_arrays(path);
  // Loaded depth first in name order.
  std::vector<std::string> names;
  for (const auto& a : out) names.push_back(a.name);
  BOOST_TEST((names == std::vector<std::string>{"a/b/c", "empty", "grads/dense/bias", "grads/dense/kernel", "loss"}));
  for (const auto& want : in) {
    BOOST_TEST_CONTEXT(want.name) {
      const auto it = std::find_if(out.begin(), out.end(), [&](const auto& a) { return a.name == want.name; });
      BOOST_REQUIRE(it != out.end());
      BOOST_TEST(it->shape == want.shape);
      BOOST_TEST(it->float64 == want.float64);
      BOOST_REQUIRE_EQUAL(it->values.size(), want.values.size());
      for (std::size_t i = 0; i < want.values.size(); ++i)
        BOOST_TEST(it->values[i] == (want.float64 ? want.values[i] : double(float(want.values[i]))));
    }
  }
  // The groups exist as real HDF5 groups (what h5py / h5dump show).
  const auto f = tg::io::h5::File::open(path);
  hid_t g = H5Oopen(f.id(), "grads/dense", H5P_DEFAULT);
  BOOST_REQUIRE(g >= 0);
  BOOST_TEST(H5Iget_type(g) == H5I_GROUP);
  H5Oclose(g);
  hid_t d = H5Oopen(f.id(), "a/b/c", H5P_DEFAULT);
  BOOST_REQUIRE(d >= 0);
  BOOST_TEST(H5Iget_type(d) == H5I_DATASET);
  H5Oclose(d);
  BOOST_TEST(f.dataset("grads/dense/kernel").dtype_name() == "float32");
  BOOST_TEST(f.dataset("grads/dense/bias").dtype_name() == "float64");
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_leaves_nothing) {
  const std::string dir = scratch("bad");
  const std::string path = dir + "/t.h5";
  BOOST_CHECK_THROW(tg::io::save_arrays({{"a", {2, 2}, {1, 2, 3}, false}}, path), tg::ShapeError);
  BOOST_CHECK_THROW(tg::io::save_arrays({{"a", {1}, {1}, false}, {"a/b", {1}, {1}, false}}, path), tg::io::FileError);
  BOOST_CHECK_THROW(tg::io::save_arrays({{"x", {1}, {1}, false}, {"x", {1}, {2}, false}}, path), tg::io::FileError);
  BOOST_CHECK_THROW(tg::io::save_arrays({{"", {1}, {1}, false}}, path), tg::io::FileError);
  BOOST_CHECK_THROW(tg::io::save_arrays({{"a", {1}, {1}, false}}, dir + "/missing/t.h5"), tg::io::FileError);
  BOOST_CHECK_THROW(tg::io::load_arrays(dir + "/nothing.h5"), tg::io::FileError);
  BOOST_TEST(fs::is_empty(dir));
}

BOOST_AUTO_TEST_SUITE_END()
