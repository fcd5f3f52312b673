// The convolutional, BatchNormalization and graph files of ../shared/keras-files against the
// reference numbers MANIFEST.md gives: exact test accuracy (MNIST or Fashion-MNIST t10k), the
// all-zeros output, and for the two graph files (Functional ResNet-20 with Add, Teachable
// Machine's Sequential nesting a Functional MobileNetV2) the outputs for zeros, 0.5 and ramp inputs.
#include <filesystem>
#include <fstream>

#include "io/keras_model.hpp"
#include "io/keras_model_io.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

const std::string files = std::string(TG_SHARED_DIR) + "/keras-files/";
const std::string fashion_dir = "/usr/share/datasets/fashion-mnist";

// The MANIFEST.md section of `file`.
std::string manifest_section(const std::string& file) {
  std::ifstream in(files + "MANIFEST.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto start = text.find("### `" + file + "`");
  BOOST_REQUIRE_MESSAGE(start != std::string::npos, file << " is not in MANIFEST.md");
  const auto end = text.find("\n### ", start + 4);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The numbers in "[a, b, c]" after `key` in `section`.
std::vector<double> numbers_after(const std::string& section, const std::string& key, std::size_t from = 0) {
  const auto at = section.find(key, from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no '" << key << "' in the manifest section");
  const auto open = section.find('[', at), close = section.find(']', open);
  std::stringstream ss(section.substr(open + 1, close - open - 1));
  std::vector<double> out;
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stod(item));
  return out;
}

double number_after(const std::string& section, const std::string& key, std::size_t from = 0) {
  const auto at = section.find(key, from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no '" << key << "' in the manifest section");
  return std::stod(section.substr(at + key.size()));
}

double accuracy(nn::Model& model, const io::Split& data) {
  std::vector<std::int64_t> shape{data.x.shape()[0]};
  for (std::int64_t d : model.input_shape()) shape.push_back(d);
  const auto pred = core::argmax(model.predict(data.x.reshape(shape), 500), -1).to_vector<std::int64_t>();
  const auto labels = data.y.to_vector<std::int64_t>();
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += pred[i] == labels[i];
  return static_cast<double>(hits) / static_cast<double>(pred.size());
}

// One input of the model's shape: zeros, 0.5, or the manifest's ramp (x.flat[i] = (i mod 256) / 255).
Tensor synthetic(const nn::Model& model, const std::string& kind) {
  Shape s{1};
  for (std::int64_t d : model.input_shape()) s.push_back(d);
  std::vector<double> v(static_cast<std::size_t>(s.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = kind == "zeros" ? 0 : kind == "half" ? 0.5 : static_cast<double>(i % 256) / 255;
  return Tensor::from_vector(v, s).to(DType::float32);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_keras_conv_files)

BOOST_AUTO_TEST_CASE(cnn_files_reproduce_the_manifest_accuracy) {
  const io::Split mnist = io::load_idx_split(std::string(TG_SHARED_DIR) + "/datasets/mnist", "t10k", 255);
  const bool have_fashion = std::filesystem::exists(fashion_dir + "/t10k-images-idx3-ubyte.gz");
  const io::Split fashion = have_fashion ? io::load_idx_split(fashion_dir, "t10k", 255) : io::Split{};
  const std::vector<std::pair<std::string, bool>> cases = {
      {"tfkeras2.4.0_seq_conv2d_full.h5", false},        {"keras3.13.2_seq_cnn_full.h5", false},
      {"keras3.5.0_seq_cnn_act_layers.keras", false},     {"tfkeras2.10.0_seq_cnn_same_act_full.h5", false},
      {"tfkeras2.15.0_seq_cnn_full.h5", false},           {"keras3.13.2_seq_bn_dropout_full.h5", false},
      {"keras3.6.0_seq_cnn_fashion.keras", true},         {"tfkeras2.2.4-tf_seq_cnn_same_fashion_full.h5", true},
      {"tfkeras2.15.0_seq_cnn_fashion_full.h5", true}};
  for (const auto& [file, is_fashion] : cases) {
    BOOST_TEST_CONTEXT(file) {
      const std::string section = manifest_section(file);
      auto model = load_model(files + file);
      BOOST_TEST(model->count_params() == io::read_keras_file(files + file).param_count());
      const Tensor zero_out = model->predict(synthetic(*model, "zeros"));
      test::check_close(zero_out, numbers_after(section, "all-zeros input: argmax"), 1e-4, 2e-6, "all-zeros output");
      BOOST_TEST(core::argmax(zero_out, -1).item() == number_after(section, "all-zeros input: argmax "));
      if (is_fashion && !have_fashion) {
        BOOST_TEST_MESSAGE("accuracy skipped: Debian's dataset-fashion-mnist is not installed");
        continue;
      }
#ifdef TG_SANITIZE_BUILD
      // The sanitizer pass: 200 images through every layer; the exact accuracy is the release pass's.
      const io::Split& d = is_fashion ? fashion : mnist;
      const double a = accuracy(*model, io::Split{d.x.slice_rows(0, 200), d.y.slice_rows(0, 200)});
      BOOST_TEST(a > number_after(section, "**accuracy ") - 0.1);
#else
      // Exactly: the same 10 000 argmaxes as the float32 reference.
      BOOST_TEST(accuracy(*model, is_fashion ? fashion : mnist) == number_after(section, "**accuracy "));
#endif
    }
  }
}

BOOST_AUTO_TEST_CASE(functional_resnet20_with_add_gives_the_reference_outputs) {
  const std::string file = "keras2.2.4_func_resnet20_add_cifar10_full.h5";
  const std::string section = manifest_section(file);
  auto model = load_model(files + file);
  BOOST_TEST(model->class_name() == "Functional");
  BOOST_TEST(model->count_params() == 274442);
  BOOST_TEST(model->non_trainable_weights().size() == 38u);  // 19 BatchNormalization layers' moving statistics
  for (const auto& [kind, key] : std::vector<std::pair<std::string, std::string>>{
           {"zeros", "all zeros: argmax"}, {"half", "all 0.5: argmax"}, {"ramp", "ramp (`x.flat[i]"}}) {
    BOOST_TEST_CONTEXT(kind) {
      const Tensor y = model->predict(synthetic(*model, kind));
      // The manifest prints 6 significant digits; the three references agree to 3e-7.
      test::check_close(y, numbers_after(section, "probabilities", section.find(key)), 1e-5, 1e-6, "probabilities");
      BOOST_TEST(core::argmax(y, -1).item() == number_after(section, "argmax ", section.find(key)));
    }
  }
}

BOOST_AUTO_TEST_CASE(teachable_machine_mobilenetv2_nested_gives_the_reference_outputs) {
  const std::string file = "tfkeras2.4.0_seq_nested_mobilenetv2_tm_full.h5";
  const std::string section = manifest_section(file);
  auto model = load_model(files + file);
  BOOST_TEST(model->count_params() == 538608);
  auto features_layer = std::dynamic_pointer_cast<nn::Model>(model->get_layer("sequential_9"));
  BOOST_REQUIRE(features_layer);
  for (const auto& [kind, key] : std::vector<std::pair<std::string, std::string>>{
           {"zeros", "  * all zeros: argmax"}, {"half", "  * all 0.5: argmax"}, {"ramp", "  * ramp (`x.flat[i]"}}) {
    BOOST_TEST_CONTEXT(kind) {
      const Tensor x = synthetic(*model, kind);
      const Tensor y = model->predict(x);
      test::check_close(y, numbers_after(section, "probabilities", section.find(key)), 1e-4, 1e-6, "probabilities");
      BOOST_TEST(core::argmax(y, -1).item() == number_after(section, "argmax ", section.find(key)));
      // The 1280 pooled MobileNetV2 features (float64 reference; float32 within ~1e-4 of it).
      const Tensor f = features_layer->predict(x);
      BOOST_REQUIRE(f.shape() == (Shape{1, 1280}));
      const auto at = section.find(key);
      test::check_close(core::slice(f, 1, 0, 5), numbers_after(section, "first five", at), 0, 2e-4, "first five features");
      const auto v = f.to_vector<double>();
      double sum = 0;
      for (double e : v) sum += e;
      BOOST_TEST(std::fabs(sum - number_after(section, "sum ", at)) < 0.01);
      const auto max_at = std::max_element(v.begin(), v.end());
      BOOST_TEST(std::fabs(*max_at - number_after(section, ", max ", at)) < 2e-4);
      const auto max_index = static_cast<double>(max_at - v.begin());
      BOOST_TEST(max_index == number_after(section, "(index ", at));
    }
  }
}

BOOST_AUTO_TEST_CASE(graph_files_round_trip_through_every_format) {
  // Loaded, saved as .keras and .h5, loaded back: the same outputs bit for bit.
  for (const std::string file : {"keras2.2.4_func_resnet20_add_cifar10_full.h5", "keras3.13.2_seq_bn_dropout_full.h5"}) {
    BOOST_TEST_CONTEXT(file) {
      auto model = load_model(files + file);
      const Tensor x = synthetic(*model, "ramp");
      const auto want = model->predict(x).to_vector<float>();
      for (const std::string suffix : {".keras", ".h5"}) {
        const std::string out = test::scratch_dir() + "/conv_files_round_trip" + suffix;
        save_model(*model, out);
        BOOST_TEST(load_model(out)->predict(x).to_vector<float>() == want, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
