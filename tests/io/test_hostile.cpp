// Hostile model files (issue 14), part 1: sizes that overflow or exceed memory, .keras archives
// that were altered or bomb, legacy files whose layer list disagrees with their config, JSON
// nested to blow the stack, HDF5 link cycles. Each input is built here from a good file or from
// scratch, and each must end in a clear error, never a crash or a silently wrong model.
#include <hdf5.h>
#include <zip.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/h5.hpp"
#include "io/idx.hpp"
#include "io/keras_model.hpp"
#include "io/tensor_file.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(test::scratch_dir()) / "hostile";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A small trained-looking model: Flatten, Dense(5), Dense(3), saved where asked.
std::shared_ptr<nn::Model> small_model() {
  nn::set_random_seed(7);
  auto m = std::make_shared<nn::Sequential>(
      std::initializer_list<nn::LayerHandle>{nn::Flatten("flatten"), nn::Dense(5, "relu", {.name = "dense"}),
                                             nn::Dense(3, "softmax", {.name = "dense_1"})},
      "sequential");
  m->build(Shape{2, 4});
  return m;
}

// Replaces (or creates) a variable-length string attribute with the raw C API: the wrapper only
// opens files read-only, and a hostile value must reach the file byte for byte.
void set_raw_string_attr(const std::string& path, const char* obj, const char* name, const std::string& value) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_REQUIRE(f >= 0);
  hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
  BOOST_REQUIRE(o >= 0);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  BOOST_REQUIRE(a >= 0);
  const char* p = value.c_str();
  BOOST_REQUIRE(H5Awrite(a, t, &p) >= 0);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  H5Oclose(o);
  H5Fclose(f);
}

// Offset of the only occurrence of `needle` in `hay` (the test fails on none or several).
std::size_t find_once(const std::vector<char>& hay, const std::string& needle) {
  std::size_t found = std::string::npos, count = 0;
  for (auto it = hay.begin(); (it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end(); ++it) {
    found = static_cast<std::size_t>(it - hay.begin());
    ++count;
  }
  BOOST_REQUIRE_MESSAGE(count == 1, "'" << needle << "' occurs " << count << " times");
  return found;
}

void put32(std::vector<char>& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A zip written by libzip from (name, content) pairs; `deflate` compresses every member.
void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members, bool deflate) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  BOOST_REQUIRE(z);
  for (const auto& [name, content] : members) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    const zip_int64_t i = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    BOOST_REQUIRE(i >= 0);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(i), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  BOOST_REQUIRE(zip_close(z) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hostile)

// Shape (2^62+196, 4) wrapped to 784 elements and evaluated; now its count is an error naming it.
BOOST_AUTO_TEST_CASE(shape_element_count_overflow_names_the_shape) {
  const Shape s{(std::int64_t{1} << 62) + 196, 4};
  test::check_throws_with<ShapeError>([&] { (void)s.numel(); },
                                      {"element count of (4611686018427388100, 4) overflows"});
  test::check_throws_with<ShapeError>([&] { (void)Shape({std::int64_t{1} << 61, 1}).nbytes(8); },
                                      {"byte size of (2305843009213693952, 1)", "overflows"});
  BOOST_TEST(Shape({std::int64_t{1} << 61, 1}).nbytes(2) == std::size_t{1} << 62);
  // units of 2^61: byte size overflow, and Tensor::uniform used to write past the wrapped buffer.
  Generator g(1);
  test::check_throws_with<ShapeError>([&] { Tensor::uniform(Shape{std::int64_t{1} << 61, 8}, 0, 1, g); },
                                      {"(2305843009213693952, 8)", "overflows"});
  test::check_throws_with<ShapeError>([&] { Tensor(Shape{std::int64_t{1} << 61}, DType::float64); },
                                      {"byte size of (2305843009213693952,)"});
}

// An input shape of (2^40, 2^40) in a config: Flatten's product wrapped to 0 and a Dense was built on it.
BOOST_AUTO_TEST_CASE(flatten_of_an_overflowing_shape_names_it) {
  const nn::Flatten f("flat");
  test::check_throws_with<ShapeError>(
      [&] { (void)f.compute_output_shape(Shape{std::int64_t{1} << 40, std::int64_t{1} << 40}); },
      {"Flatten 'flat': flattening (1099511627776, 1099511627776) overflows 64 bits"});
  BOOST_TEST(f.compute_output_shape(Shape{3, 5, 7}) == Shape{105});
}

BOOST_AUTO_TEST_CASE(tensor_beyond_the_memory_limit_names_shape_and_bytes) {
  test::check_throws_with<MemoryError>([] { Tensor(Shape{std::int64_t{1} << 40, 4}, DType::float32); },
                                       {"float32 tensor of shape (1099511627776, 4) needs 17592186044416 bytes",
                                        "memory limit"});
  const std::size_t old = alloc::set_memory_limit(1000);
  test::check_throws_with<MemoryError>([] { Tensor(Shape{251}, DType::float32); },
                                       {"needs 1004 bytes, more than the memory limit of 1000"});
  BOOST_TEST(Tensor(Shape{250}, DType::float32).numel() == 250);
  alloc::set_memory_limit(0);
  BOOST_TEST(alloc::memory_limit() == old);
}

// A Dense of units 3e8 in a file's config: refused when its kernel is created, naming the layer.
BOOST_AUTO_TEST_CASE(huge_dense_from_config_fails_before_allocating) {
  const std::string path = scratch("huge_units.h5");
  save_model(*small_model(), path);
  auto km = io::read_keras_file(path);
  std::string cfg = km.model_config.dump();
  const auto at = cfg.find("\"units\":5");
  BOOST_REQUIRE(at != std::string::npos);
  cfg.replace(at, 9, "\"units\":300000000");
  set_raw_string_attr(path, "/", "model_config", cfg);
  // (Under the default limit, the physical memory, this kernel of 19 GB as float64 might fit: a lower one.)
  const std::size_t old = alloc::set_memory_limit(std::size_t{1} << 30);
  try {
    test::check_throws_with<MemoryError>(
        [&] { load_model(path); },
        {path, "Dense 'dense'", "shape (8, 300000000) needs 19200000000 bytes", "memory limit of 1073741824"});
  } catch (...) {
    alloc::set_memory_limit(old);
    throw;
  }
  alloc::set_memory_limit(0);
  cfg.replace(at, 17, "\"units\":300000000000");  // 19 TB: over any machine's default limit
  set_raw_string_attr(path, "/", "model_config", cfg);
  test::check_throws_with<MemoryError>([&] { load_model(path); }, {path, "Dense 'dense'", "(8, 300000000000)"});
  // 2^61 units: the kernel's byte size overflows; an error naming the file, not a heap overflow.
  cfg.replace(at, 20, "\"units\":2305843009213693952");
  set_raw_string_attr(path, "/", "model_config", cfg);
  test::check_throws_with<io::FileError>([&] { load_model(path); }, {path, "(8, 2305843009213693952)", "overflows"});
}

// 69 of 200 byte-corrupted archives loaded before; one changed weight must fail the CRC check.
BOOST_AUTO_TEST_CASE(keras_archive_with_altered_weight_fails_crc) {
  const std::string path = scratch("altered.keras");
  auto model = small_model();
  save_model(*model, path);
  BOOST_REQUIRE_NO_THROW(load_model(path));
  const float w = model->layers()[1]->weights()[0].value().to_vector<float>()[0];
  std::string bytes(4, '\0');
  std::memcpy(bytes.data(), &w, 4);
  auto zip = slurp(path);
  const std::size_t at = find_once(zip, bytes);
  zip[at] ^= 0x40;  // a flipped exponent bit: the value changes, the file still parses
  spit(path, zip);
  test::check_throws_with<io::FileError>([&] { load_model(path); },
                                         {path, "model.weights.h5", "bad CRC-32"});
}

BOOST_AUTO_TEST_CASE(keras_archive_member_sizes_are_checked_before_inflating) {
  const std::string good = scratch("good.keras");
  save_model(*small_model(), good);
  int err = 0;
  zip_t* z = zip_open(good.c_str(), ZIP_RDONLY, &err);
  BOOST_REQUIRE(z);
  auto member = [&](const char* name) {
    zip_stat_t st;
    BOOST_REQUIRE(zip_stat(z, name, 0, &st) == 0);
    std::string s(st.size, '\0');
    zip_file_t* f = zip_fopen(z, name, 0);
    BOOST_REQUIRE(zip_fread(f, s.data(), s.size()) == static_cast<zip_int64_t>(s.size()));
    zip_fclose(f);
    return s;
  };
  const std::string config = member("config.json"), weights = member("model.weights.h5"), meta = member("metadata.json");
  zip_discard(z);

  // A deflate bomb: 65 MiB of spaces after the config, which inflates past the JSON limit.
  const std::string bomb_path = scratch("bomb.keras");
  write_zip(bomb_path, {{"config.json", config + std::string(65u << 20, ' ')}, {"model.weights.h5", weights}}, true);
  BOOST_TEST(fs::file_size(bomb_path) < (1u << 20));
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(bomb_path); },
                                         {bomb_path, "config.json declares 6815", "bytes, more than the limit of 67108864"});

  // A 26 KB archive whose directory claims a 2 GB config.json (sizes patched in both headers).
  const std::string liar = scratch("liar.keras");
  write_zip(liar, {{"config.json", config}, {"model.weights.h5", weights}}, false);
  auto bytes = slurp(liar);
  for (std::size_t i = 0; i + 46 < bytes.size(); ++i) {
    const bool lfh = std::memcmp(&bytes[i], "PK\x03\x04", 4) == 0, cdh = std::memcmp(&bytes[i], "PK\x01\x02", 4) == 0;
    const std::size_t name_at = i + (lfh ? 30 : 46);
    if ((lfh || cdh) && std::memcmp(&bytes[name_at], "config.json", 11) == 0) put32(bytes, i + (lfh ? 22 : 24), 0x7fffffff);
  }
  spit(liar, bytes);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(liar); },
                                         {liar, "config.json declares 2147483647 bytes"});

  // Two members named config.json (the second name patched in after libzip wrote it).
  const std::string dup = scratch("dup.keras");
  write_zip(dup, {{"config.json", config}, {"config.jsoX", config}, {"model.weights.h5", weights}}, false);
  bytes = slurp(dup);
  for (std::size_t i = 0; i + 11 <= bytes.size(); ++i)
    if (std::memcmp(&bytes[i], "config.jsoX", 11) == 0) bytes[i + 10] = 'n';
  spit(dup, bytes);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(dup); }, {dup, "two members have the same name"});

  // Missing members.
  const std::string no_weights = scratch("no_weights.keras");
  write_zip(no_weights, {{"config.json", config}, {"metadata.json", meta}}, false);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(no_weights); }, {"no model.weights.h5 inside"});
  const std::string no_config = scratch("no_config.keras");
  write_zip(no_config, {{"model.weights.h5", weights}}, false);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(no_config); }, {"no config.json inside"});
}

// Keras' load_model rejects a layer count mismatch; tapegrad silently kept the layer's initial weights.
BOOST_AUTO_TEST_CASE(legacy_layer_names_must_match_the_config) {
  const std::string good = scratch("two_dense.h5"), bad = scratch("one_dense_listed.h5");
  save_model(*small_model(), good, false);
  io::KerasModel km = io::read_keras_file(good);
  BOOST_REQUIRE(km.layers.size() == 3);  // flatten, dense, dense_1
  km.layers.pop_back();
  io::write_legacy_h5(km, bad, false);
  test::check_throws_with<io::FileError>(
      [&] { load_model(bad); },
      {bad, "layer count mismatch: the model config has 2 layers with weights (dense, dense_1)",
       "layer_names lists 1 (dense)"});
  // Same count, wrong name: dense_1's weights stored under another layer's name.
  km = io::read_keras_file(good);
  km.layers[2].name = "other";
  io::write_legacy_h5(km, bad, false);
  test::check_throws_with<io::FileError>([&] { load_model(bad); },
                                         {bad, "layer 'dense_1' of the model config has weights", "holds no weights"});
}

// 100 000 nested brackets in ~200 KB overflowed the stack in recursive copies and dumps.
BOOST_AUTO_TEST_CASE(deeply_nested_json_is_refused_before_parsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string h5 = scratch("deep.h5");
  save_model(*small_model(), h5, false);
  set_raw_string_attr(h5, "/", "model_config", deep);
  test::check_throws_with<io::FileError>([&] { load_model(h5); },
                                         {"attribute 'model_config'", h5, "nested deeper than 512 levels (at byte 512)"});
  set_raw_string_attr(h5, "/", "model_config", "{\"a\": \"[[[[\\\"[[[[\"}");  // brackets in strings do not count
  test::check_throws_with<io::FileError>([&] { load_model(h5); }, {h5}); // parses, then fails as a config
  const std::string keras = scratch("deep.keras");
  write_zip(keras, {{"config.json", "{\"config\": " + deep + "}"}, {"model.weights.h5", "x"}}, false);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(keras); },
                                         {"config.json in " + keras, "nested deeper than 512 levels"});
  const std::string json = scratch("deep.json");
  spit(json, std::vector<char>(deep.begin(), deep.end()));
  test::check_throws_with<io::FileError>([&] { load_architecture(json); }, {json, "nested deeper than 512 levels"});
}

// Hard- and soft-link cycles made load_arrays recurse until 2.7 GB and SIGSEGV.
BOOST_AUTO_TEST_CASE(hdf5_link_cycles_end_in_an_error) {
  for (const bool soft : {false, true}) {
    const std::string path = scratch(soft ? "soft_cycle.h5" : "hard_cycle.h5");
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t n = 2;
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t d = H5Dcreate2(g, "x", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const float v[2] = {1, 2};
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    if (soft) H5Lcreate_soft("/g", g, "loop", H5P_DEFAULT, H5P_DEFAULT);
    else H5Lcreate_hard(f, "/g", g, "loop", H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(s);
    H5Gclose(g);
    H5Fclose(f);
    BOOST_TEST_CONTEXT(path) {
      test::check_throws_with<io::FileError>([&] { io::load_arrays(path); }, {path, "/g/loop", "reached twice"});
    }
  }
  // The same in a Keras 3 weights file: layers/dense/loop -> /layers.
  const std::string w = scratch("cycle.weights.h5");
  save_weights(*small_model(), w);
  hid_t f = H5Fopen(w.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_REQUIRE(H5Lcreate_hard(f, "/layers", f, "/layers/dense/loop", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  H5Fclose(f);
  test::check_throws_with<io::FileError>([&] { io::read_keras_file(w); }, {w, "reached twice"});
}

// A 3 GB IDX gzip bomb ran 15-25 s at 2-3 GB: what it declares is now checked against the limit.
BOOST_AUTO_TEST_CASE(idx_declaring_more_than_the_memory_limit_is_refused_before_inflating) {
  const std::string path = scratch("bomb-images-idx3-ubyte.gz");
  const std::vector<std::uint8_t> zeros(1100, 0);
  const std::vector<std::int64_t> dims{10, 10, 11};
  io::write_idx(path, dims, zeros);
  const std::size_t old = alloc::set_memory_limit(4000);
  std::string msg;
  try {
    io::read_idx(path, 3);
  } catch (const io::DataError& e) {
    msg = e.what();
  }
  alloc::set_memory_limit(0);
  BOOST_TEST(alloc::memory_limit() == old);
  BOOST_TEST(msg.find("declares shape (10, 10, 11), 1100 values, more than a quarter of the memory limit of 4000 bytes") !=
                 std::string::npos,
             msg);
  BOOST_TEST(io::read_idx(path, 3).bytes.size() == 1100u);  // under the default limit it reads
}

BOOST_AUTO_TEST_SUITE_END()
