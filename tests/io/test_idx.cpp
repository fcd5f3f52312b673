#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/datasets.hpp"
#include "io/idx.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

const std::string mnist_dir = std::string(TG_SHARED_DIR) + "/datasets/mnist";
const std::string fashion_dir = "/usr/share/datasets/fashion-mnist";

// A fresh, empty scratch folder for one test case.
std::string scratch(const std::string& name) {
  const fs::path p = fs::path(test::scratch_dir()) / "test_idx" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

// An IDX file built byte by byte, independently of io::write_idx.
std::vector<std::uint8_t> idx_bytes(std::uint32_t magic, std::vector<std::uint32_t> dims,
                                    const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> b;
  put32(b, magic);
  for (auto d : dims) put32(b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  BOOST_REQUIRE(f.good());
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// 3 images of 2 x 5 pixels (odd sizes on purpose) and their labels.
std::vector<std::uint8_t> pixels() {
  std::vector<std::uint8_t> p(30);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>((i * 37 + 11) % 256);
  p[0] = 0;
  p[29] = 255;
  return p;
}
const std::vector<std::uint8_t> labels3 = {7, 0, 9};

float scaled(int byte) { return static_cast<float>(byte / 255.0); }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_idx)

// Reference values read independently with Python:
//   d = gzip.open('t10k-images-idx3-ubyte.gz').read()  ->  header (2051, 10000, 28, 28)
//   px = d[16:];  img0 = px[:784]
//   img0 row 7, columns 6..11 = 84 185 159 151 60 36;  sum(img0) = 18454
//   px[9999*784 + 14*28 + 6 : +4] = 33 217 253 253;  min(px), max(px) = 0, 255;  sum(px) = 264923200
//   labels: first ten 7 2 1 0 4 1 4 9 5 9, last three 4 5 6
BOOST_AUTO_TEST_CASE(mnist_t10k_matches_python) {
  const io::Split s = io::load_idx_split(mnist_dir, "t10k");
  BOOST_TEST(s.x.shape() == (Shape{10000, 28, 28}));
  BOOST_TEST(s.x.dtype() == DType::float32);
  BOOST_TEST(s.y.shape() == (Shape{10000}));
  BOOST_TEST(s.y.dtype() == DType::int64);

  const std::int64_t* y = s.y.data<std::int64_t>();
  const std::vector<std::int64_t> first(y, y + 10), want_first{7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
  BOOST_TEST(first == want_first, boost::test_tools::per_element());
  BOOST_TEST(y[9997] == 4);
  BOOST_TEST(y[9998] == 5);
  BOOST_TEST(y[9999] == 6);

  const float* x = s.x.data<float>();
  const auto [lo, hi] = std::minmax_element(x, x + s.x.numel());
  BOOST_TEST(*lo == 0.0f);
  BOOST_TEST(*hi == 1.0f);
  const int row7[] = {84, 185, 159, 151, 60, 36};
  for (int c = 0; c < 6; ++c) BOOST_TEST(s.x.at({0, 7, 6 + c}) == scaled(row7[c]));
  BOOST_TEST(s.x.at({0, 7, 5}) == 0.0);
  BOOST_TEST(s.x.at({9999, 14, 6}) == scaled(33));
  BOOST_TEST(s.x.at({9999, 14, 7}) == scaled(217));
  // Each float is the byte/255 rounded once, so x*255 rounds back to the exact byte.
  long sum0 = 0, sum_all = 0;
  for (int i = 0; i < 784; ++i) sum0 += std::lround(x[i] * 255.0);
  for (std::int64_t i = 0; i < s.x.numel(); ++i) sum_all += std::lround(x[i] * 255.0);
  BOOST_TEST(sum0 == 18454);
  BOOST_TEST(sum_all == 264923200);

  // divisor 1 keeps Keras' raw 0..255 pixels.
  const io::Split raw = io::load_idx_split(mnist_dir, "t10k", 1.0);
  BOOST_TEST(raw.x.at({0, 7, 7}) == 185.0);
  BOOST_CHECK_THROW(io::load_idx_split(mnist_dir, "t10k", 0.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(load_mnist_without_train_files) {
  const io::Dataset d = io::load_mnist(mnist_dir);
  BOOST_TEST(!d.x_train.defined());
  BOOST_TEST(!d.y_train.defined());
  BOOST_TEST(d.x_test.dim(0) == 10000);
  BOOST_TEST(d.y_test.dim(0) == 10000);
}

// Python: gzip.open('train-labels-idx1-ubyte.gz').read()[8:18] = 9 0 0 3 0 2 7 2 5 5,
// train image 0 pixel (14, 14) = 217, sum of train image 0 = 76247.
BOOST_AUTO_TEST_CASE(fashion_mnist_train_and_test) {
  if (!fs::exists(fashion_dir + "/train-images-idx3-ubyte.gz")) {
    BOOST_TEST_MESSAGE("skipped: " << fashion_dir << " is missing (Debian package dataset-fashion-mnist)");
    return;
  }
  const io::Dataset d = io::load_fashion_mnist();
  BOOST_TEST(d.x_train.shape() == (Shape{60000, 28, 28}));
  BOOST_TEST(d.y_train.shape() == (Shape{60000}));
  BOOST_TEST(d.x_test.shape() == (Shape{10000, 28, 28}));
  BOOST_TEST(d.y_test.shape() == (Shape{10000}));
  const std::int64_t* y = d.y_train.data<std::int64_t>();
  const std::vector<std::int64_t> first(y, y + 10), want_first{9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  BOOST_TEST(first == want_first, boost::test_tools::per_element());
  BOOST_TEST(d.x_train.at({0, 14, 14}) == scaled(217));
  long sum0 = 0;
  for (int i = 0; i < 784; ++i) sum0 += std::lround(d.x_train.data<float>()[i] * 255.0);
  BOOST_TEST(sum0 == 76247);
}

BOOST_AUTO_TEST_CASE(raw_and_gzip_files_read_the_same) {
  const std::string dir = scratch("roundtrip");
  const auto px = pixels();
  const auto raw_bytes = idx_bytes(0x803, {3, 2, 5}, px);
  write_file(dir + "/t10k-images-idx3-ubyte", raw_bytes);
  write_file(dir + "/t10k-labels-idx1-ubyte", idx_bytes(0x801, {3}, labels3));

  const io::Split s = io::load_idx_split(dir, "t10k");
  BOOST_TEST(s.x.shape() == (Shape{3, 2, 5}));
  const auto got = s.x.to_vector<float>();
  for (std::size_t i = 0; i < px.size(); ++i) BOOST_TEST(got[i] == scaled(px[i]), "pixel " << i);
  const auto lab = s.y.to_vector<std::int64_t>();
  BOOST_TEST(lab == (std::vector<std::int64_t>{7, 0, 9}), boost::test_tools::per_element());

  // The writer produces exactly the hand-built bytes, and its gzip output reads back the same.
  const std::vector<std::int64_t> dims{3, 2, 5};
  io::write_idx(dir + "/copy-idx3-ubyte", dims, px);
  BOOST_TEST(read_file(dir + "/copy-idx3-ubyte") == raw_bytes, boost::test_tools::per_element());
  io::write_idx(dir + "/copy-idx3-ubyte.gz", dims, px);
  const auto gz = read_file(dir + "/copy-idx3-ubyte.gz");
  BOOST_REQUIRE(gz.size() > 2);
  BOOST_TEST((gz[0] == 0x1f && gz[1] == 0x8b), "gzip magic");
  const Tensor g = io::read_idx_images(dir + "/copy-idx3-ubyte.gz");
  BOOST_TEST(g.to_vector<float>() == got, boost::test_tools::per_element());

  // A 1-dimensional file of one element, and an empty one.
  const std::vector<std::int64_t> one{1};
  const std::vector<std::uint8_t> v{200};
  io::write_idx(dir + "/one.gz", one, v);
  BOOST_TEST(io::read_idx_labels(dir + "/one.gz").to_vector<std::int64_t>() == std::vector<std::int64_t>{200},
             boost::test_tools::per_element());
  write_file(dir + "/empty-labels", idx_bytes(0x801, {0}, {}));
  BOOST_TEST(io::read_idx_labels(dir + "/empty-labels").numel() == 0);
}

BOOST_AUTO_TEST_CASE(truncated_files_say_expected_and_found) {
  const std::string dir = scratch("truncated");
  auto b = idx_bytes(0x803, {3, 2, 5}, pixels());  // 16 + 30 = 46 bytes
  b.resize(33);
  const std::string p = dir + "/short-images";
  write_file(p, b);
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(p); }, {p, "truncated", "46", "33", "(3, 2, 5)"});

  // Cut inside the header, and an empty file.
  b.resize(10);
  write_file(p, b);
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(p); }, {p, "header", "16", "10"});
  write_file(p, {});
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(p); }, {p, "magic", "4", "found 0"});

  // A gzip stream cut in the middle of the data, and one cut only in its 8-byte trailer.
  std::vector<std::uint8_t> big(3 * 28 * 28);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
  const std::string gz = dir + "/full-idx3-ubyte.gz";
  const std::vector<std::int64_t> dims{3, 28, 28};
  io::write_idx(gz, dims, big);
  const auto full = read_file(gz);
  BOOST_REQUIRE(full.size() > 200);
  const std::string cut = dir + "/cut-idx3-ubyte.gz";
  write_file(cut, std::vector<std::uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(full.size() / 2)));
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(cut); }, {cut, "truncated", "2368"});
  write_file(cut, std::vector<std::uint8_t>(full.begin(), full.end() - 4));
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(cut); }, {cut, "truncated", "gzip"});

  // More bytes than the header declares.
  auto longer = idx_bytes(0x801, {3}, labels3);
  longer.push_back(1);
  write_file(p, longer);
  test::check_throws_with<io::DataError>([&] { io::read_idx_labels(p); }, {p, "more than", "11 bytes"});
}

BOOST_AUTO_TEST_CASE(bad_magic_names_what_was_found) {
  const std::string dir = scratch("magic");
  const std::string p = dir + "/images";
  write_file(p, idx_bytes(0x804, {1, 2, 5, 1}, std::vector<std::uint8_t>(10)));
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(p); }, {p, "0x00000804", "0x00000803"});

  // A label file where images are expected, and a file that is not IDX at all (gzipped).
  const std::string lab = dir + "/labels.gz";
  const std::vector<std::int64_t> d1{3};
  io::write_idx(lab, d1, labels3);
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(lab); }, {lab, "0x00000801", "0x00000803"});
  test::check_throws_with<io::DataError>([&] { io::read_idx_labels(p); }, {p, "0x00000804", "0x00000801"});
  write_file(p, {'h', 'e', 'l', 'l', 'o', '\n'});
  test::check_throws_with<io::DataError>([&] { io::read_idx(p); }, {p, "0x68656c6c"});
}

BOOST_AUTO_TEST_CASE(missing_files_are_named) {
  const std::string dir = scratch("missing");
  const std::string p = dir + "/no-such-idx3-ubyte.gz";
  test::check_throws_with<io::DataError>([&] { io::read_idx_images(p); }, {p, "No such file"});
  test::check_throws_with<io::DataError>([&] { io::load_idx_split(dir, "t10k"); },
                                         {dir + "/t10k-images-idx3-ubyte.gz", "no t10k images"});
  test::check_throws_with<io::DataError>([&] { io::load_mnist(dir); }, {"t10k"});

  // Half a train split is a mistake, not an absent split.
  write_file(dir + "/t10k-images-idx3-ubyte", idx_bytes(0x803, {3, 2, 5}, pixels()));
  write_file(dir + "/t10k-labels-idx1-ubyte", idx_bytes(0x801, {3}, labels3));
  write_file(dir + "/train-images-idx3-ubyte", idx_bytes(0x803, {3, 2, 5}, pixels()));
  test::check_throws_with<io::DataError>([&] { io::load_mnist(dir); },
                                         {dir + "/train-labels-idx1-ubyte", "no train labels"});
}

BOOST_AUTO_TEST_CASE(image_and_label_counts_must_agree) {
  const std::string dir = scratch("count");
  const std::string xp = dir + "/t10k-images-idx3-ubyte.gz", yp = dir + "/t10k-labels-idx1-ubyte";
  const std::vector<std::int64_t> dims{3, 2, 5};
  io::write_idx(xp, dims, pixels());
  write_file(yp, idx_bytes(0x801, {4}, {1, 2, 3, 4}));
  test::check_throws_with<io::DataError>([&] { io::load_idx_split(dir, "t10k"); },
                                         {xp, yp, "3 images", "4 labels"});
}

BOOST_AUTO_TEST_SUITE_END()
