// The HDF5 wrapper: string encodings, float16, errors on corrupt or non-HDF5 input.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "io/h5.hpp"
#include "io/keras_model.hpp"

namespace {

namespace fs = std::filesystem;
namespace h5 = tg::io::h5;
using tg::io::FileError;

std::string sample(const std::string& name) { return std::string(TG_SHARED_DIR) + "/keras-files/" + name; }

std::string scratch(const std::string& sub) {
  const char* env = std::getenv("TAPEGRAD_TEST_TMP");
  const fs::path dir = fs::path(env ? env : "/tmp/tapegrad-test") / "h5" / sub;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Runs fn with stderr redirected to a file and returns what was written there.
std::string capture_stderr(const std::function<void()>& fn) {
  const std::string log = scratch("stderr") + "/err.txt";
  std::fflush(stderr);
  const int saved = dup(2);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 2);
  close(fd);
  try {
    fn();
  } catch (...) {
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    throw;
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::ifstream in(log);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Expects a FileError whose message holds `path`; anything else (or nothing) is a failure.
void expect_file_error(const std::function<void()>& fn, const std::string& path, const std::string& part = "") {
  try {
    fn();
    BOOST_ERROR("no exception for " << path);
  } catch (const FileError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(path) != std::string::npos, msg);
    if (!part.empty()) BOOST_TEST(msg.find(part) != std::string::npos, msg << " lacks " << part);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_h5)

BOOST_AUTO_TEST_CASE(string_attributes_in_all_four_encodings) {
  const std::string path = scratch("strings") + "/s.h5";
  {
    h5::File f = h5::File::create(path);
    const std::string utf8 = "caf\xc3\xa9 \xce\xbc";  // "café μ"
    f.write_string_attr("fa", "dense", h5::StrType::fixed_ascii);
    f.write_string_attr("fu", utf8, h5::StrType::fixed_utf8);
    f.write_string_attr("va", "tensorflow", h5::StrType::vlen_ascii);
    f.write_string_attr("vu", utf8, h5::StrType::vlen_utf8);
    f.write_string_list_attr("lfa", {"dense_1/kernel:0", "b"}, h5::StrType::fixed_ascii);  // first has no NUL
    f.write_string_list_attr("lva", {"x", "", "yz"}, h5::StrType::vlen_ascii);
    f.write_string_list_attr("lvu", {utf8, "a"}, h5::StrType::vlen_utf8);
    f.write_string_list_attr("empty", {});
    f.write_string_attr("big", std::string(70000, 'x'));  // too big for a fixed compact attribute
    // A SPACEPAD fixed string and a zero-length string array, through the C API.
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 8);
    H5Tset_strpad(t, H5T_STR_SPACEPAD);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f.id(), "sp", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "hi      ");
    H5Aclose(a);
    H5Sclose(s);
    const hsize_t zero = 0;
    s = H5Screate_simple(1, &zero, nullptr);
    a = H5Acreate2(f.id(), "zs", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    f.close();
  }
  const h5::File f = h5::File::open(path);
  BOOST_TEST(f.read_string_attr("fa") == "dense");
  BOOST_TEST(f.read_string_attr("fu") == "caf\xc3\xa9 \xce\xbc");
  BOOST_TEST(f.read_string_attr("va") == "tensorflow");
  BOOST_TEST(f.read_string_attr("vu") == "caf\xc3\xa9 \xce\xbc");
  BOOST_TEST((f.read_string_list_attr("lfa") == std::vector<std::string>{"dense_1/kernel:0", "b"}));
  BOOST_TEST((f.read_string_list_attr("lva") == std::vector<std::string>{"x", "", "yz"}));
  BOOST_TEST(f.read_string_list_attr("lvu").at(0) == "caf\xc3\xa9 \xce\xbc");
  BOOST_TEST(f.read_string_list_attr("empty").empty());
  BOOST_TEST(f.read_string_list_attr("zs").empty());
  BOOST_TEST(f.read_string_attr("sp") == "hi");
  BOOST_TEST(f.read_string_attr("big").size() == 70000u);
  auto info = f.attr_info("fa");
  BOOST_TEST((info.is_string && !info.vlen && !info.utf8 && info.scalar && info.size == 5));
  info = f.attr_info("fu");
  BOOST_TEST((info.is_string && !info.vlen && info.utf8));
  info = f.attr_info("va");
  BOOST_TEST((info.is_string && info.vlen && !info.utf8));
  info = f.attr_info("vu");
  BOOST_TEST((info.is_string && info.vlen && info.utf8));
  info = f.attr_info("lfa");
  BOOST_TEST((info.size == 16 && info.dims == std::vector<std::int64_t>{2}));
  info = f.attr_info("empty");  // as Keras writes an empty list: float64 (0,)
  BOOST_TEST((!info.is_string && info.type_class == H5T_FLOAT && info.size == 8));
  BOOST_TEST((info.dims == std::vector<std::int64_t>{0}));
  BOOST_TEST(f.attr_info("big").vlen);
  BOOST_CHECK_THROW(f.read_string_attr("lva"), FileError);  // three strings, not one
  BOOST_CHECK_THROW(f.read_string_attr("nope"), FileError);
}

BOOST_AUTO_TEST_CASE(string_attributes_of_real_keras_files) {
  // Types as MANIFEST.md lists them (h5py 3.7 inspection).
  {
    const h5::File f = h5::File::open(sample("keras2.0.8_seq_mlp_full.h5"));
    const auto wg = f.group("model_weights");
    const auto info = wg.attr_info("layer_names");  // fixed7-ascii
    BOOST_TEST((!info.vlen && info.size == 7));
    BOOST_TEST((wg.read_string_list_attr("layer_names") == std::vector<std::string>{"dense_3", "dense_4"}));
    BOOST_TEST(f.attr_info("keras_version").vlen);  // vlen-ascii
    BOOST_TEST(!f.attr_info("keras_version").utf8);
  }
  {
    const h5::File f = h5::File::open(sample("tfkeras2.4.0_seq_conv2d_full.h5"));
    const auto g = f.group("model_weights/conv2d");
    BOOST_TEST(g.attr_info("weight_names").size == 15u);  // "conv2d/kernel:0" fills it: no NUL
    BOOST_TEST((g.read_string_list_attr("weight_names") == std::vector<std::string>{"conv2d/kernel:0", "conv2d/bias:0"}));
    BOOST_TEST(f.group("model_weights/flatten").read_string_list_attr("weight_names").empty());  // float64 (0,)
  }
  {
    const h5::File f = h5::File::open(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"));
    BOOST_TEST(f.attr_info("keras_version").utf8);  // vlen-utf8
    BOOST_TEST(f.read_string_attr("keras_version") == "2.10.0");
    BOOST_TEST(f.group("model_weights").attr_info("layer_names").vlen);
    BOOST_TEST((f.group("model_weights").read_string_list_attr("layer_names") ==
                std::vector<std::string>{"flatten", "dense", "dense_1"}));
  }
}

BOOST_AUTO_TEST_CASE(numeric_datasets_float16_32_64_int64) {
  const std::string path = scratch("numeric") + "/n.h5";
  // IEEE half bit patterns and their exact values.
  const std::vector<std::uint16_t> bits = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x0000, 0x8000, 0x7c00};
  const std::vector<double> want = {1.0, -2.0, 65504.0, 5.960464477539063e-08, 0.333251953125, 0.0, -0.0,
                                    std::numeric_limits<double>::infinity()};
  {
    h5::File f = h5::File::create(path);
    hid_t half = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(half, 15, 10, 5, 0, 10);
    H5Tset_size(half, 2);
    H5Tset_ebias(half, 15);
    const hsize_t n = bits.size();
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t d = H5Dcreate2(f.id(), "half_raw", half, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, half, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits.data());
    H5Dclose(d);
    H5Sclose(s);
    H5Tclose(half);
    f.write_dataset("g/half", {2, 2}, {0.1, -3.0, 1000.5, 6e-6}, h5::NumType::float16);
    f.write_dataset("g/f32", {3}, {0.1, 1e30, -2.5}, h5::NumType::float32);
    f.write_dataset("g/f64", {2, 1}, {0.1, -1e300}, h5::NumType::float64);
    f.write_dataset("i64", {}, {15000}, h5::NumType::int64);
    f.write_dataset("empty", {0, 4}, {}, h5::NumType::float32);
    BOOST_CHECK_THROW(f.write_dataset("bad", {2, 2}, {1, 2, 3}), FileError);
    f.close();
  }
  const h5::File f = h5::File::open(path);
  const auto raw = f.dataset("half_raw");
  BOOST_TEST(raw.dtype_name() == "float16");
  BOOST_TEST(raw.read_double() == want, boost::test_tools::per_element());
  const auto half = f.dataset("g/half").read_double();  // nearest halves of the values written
  BOOST_TEST(half == (std::vector<double>{0.0999755859375, -3.0, 1000.5, 6.020069122314453e-06}),
             boost::test_tools::per_element());
  BOOST_TEST(f.dataset("g/f32").dtype_name() == "float32");
  BOOST_TEST(f.dataset("g/f32").read_float() == (std::vector<float>{0.1f, 1e30f, -2.5f}), boost::test_tools::per_element());
  BOOST_TEST(f.dataset("g/f64").read_double() == (std::vector<double>{0.1, -1e300}), boost::test_tools::per_element());
  BOOST_TEST((f.dataset("g/f64").shape() == std::vector<std::int64_t>{2, 1}));
  BOOST_TEST(f.dataset("i64").dtype_name() == "int64");
  BOOST_TEST(f.dataset("i64").shape().empty());
  BOOST_TEST(f.dataset("i64").read_double() == std::vector<double>{15000.0}, boost::test_tools::per_element());
  BOOST_TEST(f.dataset("empty").read_double().empty());
  BOOST_TEST(f.has_group("g"));
  BOOST_TEST(!f.has_dataset("g"));
  BOOST_TEST(f.has_dataset("g/half"));
  BOOST_TEST(!f.exists("g/nope/deeper"));
  BOOST_TEST((f.group("g").children() == std::vector<std::string>{"f32", "f64", "half"}));
  expect_file_error([&] { f.dataset("g/nope"); }, path, "g/nope");
  expect_file_error([&] { f.group("g/f32"); }, path);
}

BOOST_AUTO_TEST_CASE(non_hdf5_inputs_give_file_errors) {
  const std::string dir = scratch("not_hdf5");
  const std::string empty = dir + "/empty.h5", text = dir + "/text.h5", missing = dir + "/missing.h5";
  { std::ofstream(empty, std::ios::binary); }
  { std::ofstream(text) << "this is not HDF5, just some text that is long enough\n"; }
  const std::string err = capture_stderr([&] {
    for (const auto& p : {empty, text, missing, dir}) {
      expect_file_error([&] { h5::File::open(p); }, p, "not an HDF5 file");
      expect_file_error([&] { tg::io::read_keras_file(p); }, p, "not an HDF5 file");
    }
  });
  BOOST_TEST(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(truncated_files_give_file_errors) {
  const std::string dir = scratch("truncated");
  std::ifstream in(sample("tfkeras2.10.0_seq_flatten_weights.h5"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string err = capture_stderr([&] {
    for (std::size_t n : {std::size_t{1}, std::size_t{8}, std::size_t{96}, std::size_t{512}, std::size_t{2048},
                          std::size_t{4096}, std::size_t{100000}, bytes.size() / 2, bytes.size() - 1}) {
      BOOST_TEST_CONTEXT("first " << n << " bytes") {
        const std::string p = dir + "/cut" + std::to_string(n) + ".h5";
        { std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n)); }
        expect_file_error([&] { tg::io::read_keras_file(p); }, p);
      }
    }
  });
  BOOST_TEST(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(flipped_bytes_never_crash) {
  // Flip every byte of a weight dataset's object header (and a few of its data) in turn: the
  // read either succeeds (a flip HDF5 cannot detect, e.g. in data or padding) or is a FileError.
  const std::string path = scratch("flipped") + "/w.h5";
  fs::copy_file(sample("keras2.2.4_seq_mlp_weights.h5"), path);
  haddr_t header = 0, data = 0;
  {
    const h5::File f = h5::File::open(path);
    const auto ds = f.dataset("dense_2/dense_2/kernel:0");
    H5O_info_t info;
    BOOST_REQUIRE(H5Oget_info(ds.id(), &info) >= 0);
    header = info.addr;
    data = H5Dget_offset(ds.id());
  }
  BOOST_REQUIRE(header > 0 && data > 0);
  std::vector<std::uint64_t> offsets;
  for (std::uint64_t o = header; o < header + 272; ++o) offsets.push_back(o);
  for (std::uint64_t o = data; o < data + 8; ++o) offsets.push_back(o);
  int errors = 0, fine = 0;
  const std::string err = capture_stderr([&] {
    for (std::uint64_t off : offsets) {
      std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
      io.seekg(static_cast<std::streamoff>(off));
      const char orig = static_cast<char>(io.get());
      io.seekp(static_cast<std::streamoff>(off));
      io.put(static_cast<char>(orig ^ 0x5a));
      io.close();
      try {
        tg::io::read_keras_file(path);
        ++fine;
      } catch (const FileError& e) {
        ++errors;
        BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
      }
      std::fstream back(path, std::ios::in | std::ios::out | std::ios::binary);
      back.seekp(static_cast<std::streamoff>(off));
      back.put(orig);
    }
  });
  BOOST_TEST(err.empty(), err);
  BOOST_TEST_MESSAGE("flipped bytes: " << errors << " FileErrors, " << fine << " undetected");
  BOOST_TEST(errors > 10);
  BOOST_TEST(fine >= 8);  // the data flips at least
  BOOST_TEST(tg::io::read_keras_file(path).param_count() == 84060);  // restored
}

BOOST_AUTO_TEST_SUITE_END()
