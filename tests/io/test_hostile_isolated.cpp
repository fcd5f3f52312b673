// Hostile model files (issue 14), part 3: the isolated load. read_keras_file_isolated must give
// exactly what read_keras_file gives on good files, keep the reader's error types and messages,
// and turn a crash of libhdf5 inside the child into a clear error of the parent.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "io/idx.hpp"
#include "io/keras_model.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

namespace fs = std::filesystem;

std::string sample(const std::string& name) { return std::string(TG_SHARED_DIR) + "/keras-files/" + name; }

void check_same_weights(const std::vector<io::KerasWeight>& a, const std::vector<io::KerasWeight>& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].name == b[i].name);
    BOOST_TEST(a[i].shape == b[i].shape, boost::test_tools::per_element());
    BOOST_TEST(a[i].values == b[i].values, boost::test_tools::per_element());  // bit for bit
    BOOST_TEST(a[i].h5_path == b[i].h5_path);
    BOOST_TEST(a[i].stored_name == b[i].stored_name);
    BOOST_TEST(a[i].dtype == b[i].dtype);
  }
}

void check_same_node(const io::NativeNode& a, const io::NativeNode& b) {
  check_same_weights(a.vars, b.vars);
  BOOST_TEST(a.vars_name == b.vars_name);
  BOOST_TEST(a.has_vars == b.has_vars);
  BOOST_REQUIRE_EQUAL(a.children.size(), b.children.size());
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    BOOST_TEST(a.children[i].first == b.children[i].first);
    check_same_node(a.children[i].second, b.children[i].second);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hostile_isolated)

BOOST_AUTO_TEST_CASE(isolated_read_equals_direct_read) {
  for (const std::string name : {"keras2.2.4_functional_iris_act_weights.h5", "tfkeras2.10.0_seq_flatten_full_noopt.h5",
                                 "keras3.10.0_seq_flatten_dropout.keras", "keras3.x_seq_mlp_fashion.weights.h5",
                                 "tfkeras2.4.0_seq_nested_mobilenetv2_tm_full.h5"}) {
    BOOST_TEST_CONTEXT(name) {
      const io::KerasModel a = io::read_keras_file(sample(name)), b = io::read_keras_file_isolated(sample(name));
      BOOST_TEST(a.format == b.format);
      BOOST_TEST(a.keras_version == b.keras_version);
      BOOST_TEST(a.backend == b.backend);
      BOOST_TEST(a.model_name == b.model_name);
      BOOST_TEST(a.input_shape == b.input_shape, boost::test_tools::per_element());
      BOOST_TEST(a.model_config == b.model_config);
      BOOST_TEST(a.training_config == b.training_config);
      BOOST_REQUIRE_EQUAL(a.layers.size(), b.layers.size());
      for (std::size_t i = 0; i < a.layers.size(); ++i) {
        BOOST_TEST(a.layers[i].class_name == b.layers[i].class_name);
        BOOST_TEST(a.layers[i].name == b.layers[i].name);
        BOOST_TEST(a.layers[i].config == b.layers[i].config);
        check_same_weights(a.layers[i].weights, b.layers[i].weights);
      }
      check_same_weights(a.optimizer_weights, b.optimizer_weights);
      check_same_node(a.native, b.native);
      BOOST_TEST(a.param_count() > 0);
    }
  }
  // Through load_model: the same predictions as a direct load.
  const auto direct = load_model(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"), false);
  const auto isolated = load_model(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"), {.compile = false, .isolated = true});
  Generator g(3);
  const Tensor x = Tensor::uniform(Shape{2, 28, 28}, 0, 1, g);
  BOOST_TEST(direct->predict(x).to_vector<float>() == isolated->predict(x).to_vector<float>(),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(isolated_read_keeps_error_types_and_messages) {
  const std::string missing = test::scratch_dir() + "/hostile_isolated_missing.h5";
  test::check_throws_with<io::FileError>([&] { io::read_keras_file_isolated(missing); },
                                         {"not an HDF5 file (nor a .keras zip): " + missing, "no such file"});
  // The child's memory limit: a dataset too large for it is refused there, with the numbers.
  test::check_throws_with<io::FileError>(
      [&] { io::read_keras_file_isolated(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"), {.memory_bytes = 100000}); },
      {"100352 elements needs 802816 bytes", "memory limit of 100000"});
  test::check_throws_with<std::invalid_argument>([&] { io::read_keras_file_isolated(missing, {.cpu_seconds = 0}); },
                                                 {"cpu_seconds must be positive"});
}

// Byte-flipped copies of keras2.2.4_functional_iris_act_weights.h5 (random flips, seeds in the
// report of issue 14) that crash libhdf5 1.10.8 in H5Aread -> H5HG_read (SIGSEGV; the second in
// memcpy): a direct read kills the process; the isolated read reports it.
BOOST_AUTO_TEST_CASE(libhdf5_crash_is_contained) {
  const std::string path = std::string(TG_SOURCE_DIR) + "/tests/data/hostile/libhdf5_H5HG_read_memcpy.h5";
  BOOST_REQUIRE(fs::exists(path));
  // (Under AddressSanitizer the child reports the SEGV and exits 1: also "crashed".)
  test::check_throws_with<io::FileError>([&] { io::read_keras_file_isolated(path); },
                                         {"reading " + path + " in an isolated process: the reader crashed"});
  // This one reads garbage from the heap: it crashes or, depending on what the garbage is, ends in
  // a clean error; either way the caller gets a FileError naming the file.
  const std::string other = std::string(TG_SOURCE_DIR) + "/tests/data/hostile/libhdf5_H5HG_read_segv.h5";
  test::check_throws_with<io::FileError>([&] { io::read_keras_file_isolated(other); }, {other});
}

namespace {
using Run = test::CliRun;
Run run_cli(const std::string& args) { return test::run_cli(args); }
}  // namespace

// `tapegrad check` isolates by default: the crash is a line of output and exit status 1.
BOOST_AUTO_TEST_CASE(cli_check_contains_the_crash) {
  const std::string path = std::string(TG_SOURCE_DIR) + "/tests/data/hostile/libhdf5_H5HG_read_memcpy.h5";
  const Run r = run_cli("check " + path);
  BOOST_TEST(r.status == 1, r.out);
  BOOST_TEST(r.out.find(path + ": NOT LOADABLE: reading " + path + " in an isolated process: the reader crashed") !=
                 std::string::npos,
             r.out);
  const Run bad = run_cli("check " + path + " --isolated maybe");
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.out.find("--isolated must be on or off, got 'maybe'") != std::string::npos, bad.out);
}

// Zero test samples printed "test accuracy: -nan" and exit 0.
BOOST_AUTO_TEST_CASE(cli_evaluate_with_no_test_samples_fails) {
  const std::string dir = test::scratch_dir() + "/hostile_empty_mnist";
  fs::create_directories(dir);
  const std::vector<std::int64_t> images{0, 28, 28}, labels{0};
  io::write_idx(dir + "/t10k-images-idx3-ubyte", images, {});
  io::write_idx(dir + "/t10k-labels-idx1-ubyte", labels, {});
  const Run r = run_cli("evaluate " + sample("tfkeras2.10.0_seq_flatten_full_noopt.h5") + " --data " + dir);
  BOOST_TEST(r.status == 1, r.out);
  BOOST_TEST(r.out.find("has no samples") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("nan") == std::string::npos, r.out);
}

BOOST_AUTO_TEST_SUITE_END()
