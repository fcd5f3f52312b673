// Reads every sample file in shared/keras-files and checks it against MANIFEST.md.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "io/keras_model.hpp"
#include "nn/config.hpp"

namespace {

using tg::io::KerasModel;

std::string sample(const std::string& name) { return std::string(TG_SHARED_DIR) + "/keras-files/" + name; }

// "Class:name(w=784x64,b=64)" per layer, space separated; scalars are "()".
std::string summary(const KerasModel& m) {
  std::ostringstream os;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const auto& l = m.layers[i];
    os << (i ? " " : "") << l.class_name << ":" << l.name << "(";
    for (std::size_t j = 0; j < l.weights.size(); ++j) {
      os << (j ? "," : "") << l.weights[j].name << "=";
      if (l.weights[j].shape.empty()) os << "()";
      for (std::size_t k = 0; k < l.weights[j].shape.size(); ++k) os << (k ? "x" : "") << l.weights[j].shape[k];
    }
    os << ")";
  }
  return os.str();
}

struct Expected {
  const char* file;
  const char* format;
  const char* keras_version;
  const char* backend;
  const char* model_name;  // nullptr: the manifest does not say
  std::vector<std::int64_t> input_shape;
  const char* layers;  // summary() form, transcribed from MANIFEST.md
  std::int64_t params;  // computed by hand from the MANIFEST shapes
  std::size_t optimizer_arrays;
};

// Layers, weight names and shapes transcribed from shared/keras-files/MANIFEST.md ("inspection").
const std::vector<Expected>& expected() {
  static const std::vector<Expected> e = {
      {"keras2.0.8_seq_mlp_full.h5", "legacy-h5-full", "2.0.8", "tensorflow", nullptr, {784},
       "Dense:dense_3(kernel:0=784x64,bias:0=64) Dense:dense_4(kernel:0=64x10,bias:0=10)", 50890, 5},
      {"keras2.1.6_seq_mlp_act_dropout_weights.h5", "legacy-h5-weights", "2.1.6", "tensorflow", "", {},
       ":dense_1(kernel:0=784x512,bias:0=512) :activation_1() :dropout_1() :dense_2(kernel:0=512x512,bias:0=512) "
       ":activation_2() :dropout_2() :dense_3(kernel:0=512x10,bias:0=10) :activation_3()",
       669706, 0},
      {"keras2.2.4_functional_iris_act_weights.h5", "legacy-h5-weights", "2.2.4", "tensorflow", "", {},
       ":input_1() :dense_1(kernel:0=3x10,bias:0=10) :activation_1() :dense_2(kernel:0=10x3,bias:0=3) :activation_2()",
       73, 0},
      {"keras2.2.4_seq_mlp_weights.h5", "legacy-h5-weights", "2.2.4", "tensorflow", "", {},
       ":dense_1(kernel:0=784x100,bias:0=100) :dense_2(kernel:0=100x50,bias:0=50) :dense_3(kernel:0=50x10,bias:0=10)",
       84060, 0},
      {"tfkeras2.2.4-tf_seq_flatten_mlp_full.h5", "legacy-h5-full", "2.2.4-tf", "tensorflow", nullptr, {28, 28},
       "Flatten:flatten_35() Dense:dense_105(kernel:0=784x128,bias:0=128) "
       "Dense:dense_106(kernel:0=128x128,bias:0=128) Dense:dense_107(kernel:0=128x10,bias:0=10)",
       118282, 13},
      {"tfkeras2.3.0-tf_seq_flatten_dropout_full.h5", "legacy-h5-full", "2.3.0-tf", "tensorflow", nullptr, {28, 28},
       "Flatten:flatten_3() Dense:dense_15(kernel:0=784x120,bias:0=120) Dense:dense_16(kernel:0=120x120,bias:0=120) "
       "Dropout:dropout() Dense:dense_17(kernel:0=120x10,bias:0=10)",
       109930, 13},
      {"tfkeras2.4.0_seq_conv2d_full.h5", "legacy-h5-full", "2.4.0", "tensorflow", nullptr, {28, 28, 1},
       "Conv2D:conv2d(kernel:0=5x5x1x30,bias:0=30) MaxPooling2D:max_pooling2d() "
       "Conv2D:conv2d_1(kernel:0=3x3x30x15,bias:0=15) MaxPooling2D:max_pooling2d_1() Dropout:dropout() "
       "Flatten:flatten() Dense:dense(kernel:0=375x128,bias:0=128) Dense:dense_1(kernel:0=128x50,bias:0=50) "
       "Dense:dense_2(kernel:0=50x10,bias:0=10)",
       59933, 21},
      {"tfkeras2.8.0_seq_flatten_customnames_full.h5", "legacy-h5-full", "2.8.0", "tensorflow", nullptr, {28, 28},
       "Flatten:flatten() Dense:dense1(kernel:0=784x128,bias:0=128) Dense:dense2(kernel:0=128x64,bias:0=64) "
       "Dense:dense3(kernel:0=64x32,bias:0=32) Dense:output(kernel:0=32x10,bias:0=10)",
       111146, 1},
      {"tfkeras2.10.0_seq_flatten_full_noopt.h5", "legacy-h5-full", "2.10.0", "tensorflow", nullptr, {28, 28},
       "Flatten:flatten() Dense:dense(kernel:0=784x128,bias:0=128) Dense:dense_1(kernel:0=128x10,bias:0=10)", 101770,
       0},
      {"tfkeras2.10.0_seq_flatten_weights.h5", "legacy-h5-weights", "2.10.0", "tensorflow", "", {},
       ":flatten() :dense(kernel:0=784x128,bias:0=128) :dense_1(kernel:0=128x10,bias:0=10)", 101770, 0},
      {"tfkeras2.12.0_seq_mlp_weights.h5", "legacy-h5-weights", "2.12.0", "tensorflow", "", {},
       ":dense_80(kernel:0=784x512,bias:0=512) :dense_81(kernel:0=512x10,bias:0=10)", 407050, 0},
      {"keras3.3.3_seq_mlp_full.h5", "legacy-h5-full", "3.3.3", "tensorflow", "sequential", {784},
       "Dense:dense(kernel=784x64,bias=64) Dense:dense_1(kernel=64x64,bias=64) Dense:dense_2(kernel=64x10,bias=10)",
       55050, 14},
      {"keras3.10.0_seq_flatten_fashion_full.h5", "legacy-h5-full", "3.10.0", "tensorflow", "sequential_1",
       {28, 28, 1},
       "Flatten:flatten_1() Dense:dense_3(kernel=784x128,bias=128) Dense:dense_4(kernel=128x64,bias=64) "
       "Dense:dense_5(kernel=64x10,bias=10)",
       109386, 14},
      {"keras3.13.2_seq_bn_dropout_full.h5", "legacy-h5-full", "3.13.2", "tensorflow", "MLP_MNIST", {784},
       "Dense:dense(kernel=784x256,bias=256) "
       "BatchNormalization:batch_normalization(gamma=256,beta=256,moving_mean=256,moving_variance=256) "
       "Dropout:dropout() Dense:dense_1(kernel=256x128,bias=128) "
       "BatchNormalization:batch_normalization_1(gamma=128,beta=128,moving_mean=128,moving_variance=128) "
       "Dropout:dropout_1() Dense:dense_2(kernel=128x64,bias=64) Dropout:dropout_2() "
       "Dense:dense_3(kernel=64x10,bias=10)",
       244298, 26},
      {"keras3.x_seq_mlp_fashion.weights.h5", "keras3-weights-h5", "", "", "sequential", {},
       ":dense(0=784x800,1=800) :dense_1(0=800x10,1=10)", 636010, 2},
      {"keras3.10.0_seq_flatten_dropout.keras", "keras-zip", "3.10.0", "", "sequential", {28, 28},
       "Flatten:flatten() Dense:dense(0=784x128,1=128) Dropout:dropout() Dense:dense_1(0=128x32,1=32) "
       "Dropout:dropout_1() Dense:dense_2(0=32x10,1=10)",
       104938, 14},
  };
  return e;
}

struct Spot {
  const char* file;
  const char* layer;
  std::size_t weight;
  std::size_t flat_index;
  std::vector<double> values;
};

// Values printed by h5dump (6 significant digits), e.g.
//   h5dump -d /model_weights/dense_3/dense_3/kernel:0 -s 0,0 -c 1,3 keras2.0.8_seq_mlp_full.h5
// The .keras one from model.weights.h5 extracted from the zip: h5dump -d /layers/dense_2/vars/1 -s 0 -c 3.
const std::vector<Spot>& spots() {
  static const std::vector<Spot> s = {
      {"keras2.0.8_seq_mlp_full.h5", "dense_3", 0, 0, {0.00951356, -0.0764094, 0.0680933}},
      {"keras2.0.8_seq_mlp_full.h5", "dense_4", 1, 0, {-0.0493703, 0.100264, -0.0307518}},
      {"keras2.1.6_seq_mlp_act_dropout_weights.h5", "dense_3", 1, 0, {-0.0150059, -0.0313317, -0.00901759}},
      {"keras2.2.4_functional_iris_act_weights.h5", "dense_1", 0, 2 * 10 + 7, {-0.649416, 0.192548, -0.0792386}},
      {"tfkeras2.4.0_seq_conv2d_full.h5", "conv2d", 0, 0, {0.000556758, 0.174223, 0.0400508}},
      {"tfkeras2.10.0_seq_flatten_full_noopt.h5", "dense_1", 1, 0, {-0.132723, 0.0124965, 0.00120707}},
      {"tfkeras2.10.0_seq_flatten_weights.h5", "dense_1", 1, 0, {-0.132723, 0.0124965, 0.00120707}},
      {"keras3.13.2_seq_bn_dropout_full.h5", "batch_normalization", 3, 0, {0.0202393, 0.0839511, 0.163957}},
      {"keras3.x_seq_mlp_fashion.weights.h5", "dense_1", 1, 0, {-0.0582435, -0.312194, 0.167279}},
      {"keras3.3.3_seq_mlp_full.h5", "dense_2", 0, 63 * 10 + 7, {-0.00787029, -0.433267, -0.0755249}},
      {"keras3.10.0_seq_flatten_dropout.keras", "dense_2", 1, 0, {-0.0425861, 0.0870727, -0.0702116}},
  };
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_keras_files)

BOOST_AUTO_TEST_CASE(every_sample_matches_the_manifest) {
  BOOST_REQUIRE_EQUAL(expected().size(), 16u);
  for (const auto& e : expected()) {
    BOOST_TEST_CONTEXT(e.file) {
      const KerasModel m = tg::io::read_keras_file(sample(e.file));
      BOOST_TEST(m.format == e.format);
      BOOST_TEST(m.keras_version == e.keras_version);
      BOOST_TEST(m.backend == e.backend);
      if (e.model_name) BOOST_TEST(m.model_name == e.model_name);
      BOOST_TEST(m.input_shape == e.input_shape);
      BOOST_TEST(summary(m) == e.layers);
      BOOST_TEST(m.param_count() == e.params);
      BOOST_TEST(m.optimizer_weights.size() == e.optimizer_arrays);
      const bool full = std::string(e.format) != "legacy-h5-weights" && std::string(e.format) != "keras3-weights-h5";
      BOOST_TEST(m.model_config.is_null() == !full);
      for (const auto& l : m.layers)
        for (const auto& w : l.weights) {
          BOOST_TEST(w.values.size() == static_cast<std::size_t>(w.numel()));
          BOOST_TEST(w.dtype == "float32");
          BOOST_TEST(!w.h5_path.empty());
        }
    }
  }
}

BOOST_AUTO_TEST_CASE(weight_values_match_h5dump) {
  for (const auto& s : spots()) {
    BOOST_TEST_CONTEXT(s.file << " " << s.layer) {
      const KerasModel m = tg::io::read_keras_file(sample(s.file));
      const auto* l = m.find_layer(s.layer);
      BOOST_REQUIRE(l);
      BOOST_REQUIRE_LT(s.weight, l->weights.size());
      const auto& v = l->weights[s.weight].values;
      for (std::size_t i = 0; i < s.values.size(); ++i)
        BOOST_TEST(v.at(s.flat_index + i) == s.values[i], boost::test_tools::tolerance(2e-5));
    }
  }
}

BOOST_AUTO_TEST_CASE(paths_and_names_follow_each_generation) {
  // Keras 2: "<layer>/kernel:0" under model_weights/<layer>/.
  auto m = tg::io::read_keras_file(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"));
  BOOST_TEST(m.layers[1].weights[0].stored_name == "dense/kernel:0");
  BOOST_TEST(m.layers[1].weights[0].h5_path == "/model_weights/dense/dense/kernel:0");
  BOOST_TEST(m.layers[0].config.value("data_format", "") == "channels_last");
  BOOST_TEST(tg::nn::activation_name(m.layers[1].config["activation"]) == "relu");
  BOOST_TEST(m.training_config.contains("optimizer_config"));
  // Keras >= 3.3: "<model>/<layer>/kernel", model name prefix; DTypePolicy dicts.
  m = tg::io::read_keras_file(sample("keras3.13.2_seq_bn_dropout_full.h5"));
  BOOST_TEST(m.layers[0].weights[0].stored_name == "MLP_MNIST/dense/kernel");
  BOOST_TEST(m.layers[0].weights[0].h5_path == "/model_weights/dense/MLP_MNIST/dense/kernel");
  BOOST_TEST(tg::nn::ConfigReader(m.layers[0].config, "dense").get_dtype() == tg::DType::float32);
  BOOST_TEST(m.layers[1].config.value("epsilon", 0.0) == 0.001);
  BOOST_TEST(m.layers[2].config.value("rate", 0.0) == 0.3);
  BOOST_TEST(m.optimizer_weights[0].name == "adam/iteration");
  BOOST_TEST(m.optimizer_weights[0].dtype == "int64");
  // Keras 3 native: keys dense, dense_1; h5_path in layers/<key>/vars/<i>; layer names from `name` attrs.
  m = tg::io::read_keras_file(sample("keras3.x_seq_mlp_fashion.weights.h5"));
  BOOST_TEST(m.layers[1].weights[0].h5_path == "/layers/dense_1/vars/0");
  BOOST_TEST(m.layers[1].weights[0].stored_name.empty());
  // .keras: config.json layers keyed by class; optimizer iteration is an int64 scalar = 15000 (h5dump).
  m = tg::io::read_keras_file(sample("keras3.10.0_seq_flatten_dropout.keras"));
  BOOST_TEST(m.layers[3].weights[0].h5_path == "/layers/dense_1/vars/0");
  BOOST_TEST(m.layers[3].config.value("units", 0) == 32);
  BOOST_TEST(m.optimizer_weights[0].shape.empty());
  BOOST_TEST(m.optimizer_weights[0].dtype == "int64");
  BOOST_TEST(m.optimizer_weights[0].values.at(0) == 15000.0);
  BOOST_TEST(m.training_config.contains("optimizer"));
}

BOOST_AUTO_TEST_CASE(full_and_weights_only_twins_agree) {
  // MANIFEST: the four arrays of the two tf.keras 2.10 files are bit-identical.
  const auto full = tg::io::read_keras_file(sample("tfkeras2.10.0_seq_flatten_full_noopt.h5"));
  const auto weights = tg::io::read_keras_file(sample("tfkeras2.10.0_seq_flatten_weights.h5"));
  BOOST_REQUIRE_EQUAL(full.layers.size(), weights.layers.size());
  for (std::size_t i = 0; i < full.layers.size(); ++i) {
    BOOST_TEST(full.layers[i].name == weights.layers[i].name);
    BOOST_REQUIRE_EQUAL(full.layers[i].weights.size(), weights.layers[i].weights.size());
    for (std::size_t j = 0; j < full.layers[i].weights.size(); ++j)
      BOOST_TEST((full.layers[i].weights[j].values == weights.layers[i].weights[j].values));
  }
}

BOOST_AUTO_TEST_CASE(config_forms_are_normalised) {
  using nlohmann::json;
  // Keras 2.0 list form with batch_input_shape on the first layer.
  auto m = tg::io::read_keras_file(sample("keras2.0.8_seq_mlp_full.h5"));
  BOOST_TEST(m.model_config["config"].is_array());
  BOOST_TEST(m.layers[0].config.value("units", 0) == 64);
  // tf.keras 2.3: no InputLayer, batch_input_shape on Flatten; 2.8: InputLayer first (dropped from layers).
  m = tg::io::read_keras_file(sample("tfkeras2.8.0_seq_flatten_customnames_full.h5"));
  BOOST_TEST(m.model_config["config"]["layers"][0]["class_name"] == "InputLayer");
  BOOST_TEST(m.layers.front().class_name == "Flatten");
  BOOST_TEST(tg::nn::keras_snake_case("MaxPooling2D") == "max_pooling2d");
  BOOST_TEST(tg::nn::keras_snake_case("BatchNormalization") == "batch_normalization");
  BOOST_TEST(tg::nn::keras_snake_case("Conv2D") == "conv2d");
  BOOST_TEST(tg::nn::keras_snake_case("InputLayer") == "input_layer");
  BOOST_TEST(tg::nn::ConfigReader(json{{"dtype", "float64"}}, "layer").get_dtype() == tg::DType::float64);
  // A mixed-precision policy is refused by name (tapegrad computes in float32 or float64 only).
  try {
    tg::nn::ConfigReader(json::parse(R"({"dtype": {"module":"keras","class_name":"DTypePolicy",
      "config":{"name":"mixed_float16"},"registered_name":null}})"), "Dense 'd'").get_dtype();
    BOOST_ERROR("mixed_float16 was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("Dense 'd'") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("mixed_float16") != std::string::npos);
  }
  BOOST_TEST(tg::nn::activation_name(json::parse(R"({"module":"keras.activations","class_name":"function",
      "config":"softmax","registered_name":"softmax"})")) == "softmax");
  BOOST_TEST((tg::io::keras3_layer_keys({"Dense", "Dropout", "Dense"}) == std::vector<std::string>{"dense", "dropout", "dense_1"}));
}

BOOST_AUTO_TEST_SUITE_END()
