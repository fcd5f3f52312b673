// Real Keras files through Sequential: every supported file in ../shared/keras-files reproduces
// the reference numbers MANIFEST.md gives for it; round trips are bit-exact; loads are all or nothing.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "io/keras_model.hpp"
#include "io/keras_model_io.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

const std::string shared = TG_SHARED_DIR;
const std::string files = shared + "/keras-files/";

struct Reference {
  double accuracy = -1;            // on MNIST t10k, -1 when the manifest gives none
  int zero_argmax = -1;
  std::vector<double> zero_probs;  // outputs for one all-zeros input
};

// The manifest's verification line for `file`.
Reference manifest_reference(const std::string& file) {
  std::ifstream in(files + "MANIFEST.md");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto start = text.find("### `" + file + "`");
  BOOST_REQUIRE_MESSAGE(start != std::string::npos, file << " is not in MANIFEST.md");
  const auto end = text.find("\n### ", start + 4);
  const std::string section = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  // Plain string search: std::regex trips GCC 12's -Wmaybe-uninitialized under -fsanitize.
  Reference r;
  const std::string acc_key = "**accuracy ";
  if (const auto at = section.find(acc_key); at != std::string::npos)
    r.accuracy = std::stod(section.substr(at + acc_key.size()));
  const std::string zero_key = "all-zeros input: argmax ";
  if (const auto at = section.find(zero_key); at != std::string::npos) {
    r.zero_argmax = std::stoi(section.substr(at + zero_key.size()));
    const auto open = section.find("probabilities [", at);
    const auto close = section.find(']', open);
    BOOST_REQUIRE(open != std::string::npos && close != std::string::npos);
    const auto first = open + std::string("probabilities [").size();
    std::stringstream ss(section.substr(first, close - first));
    std::string item;
    while (std::getline(ss, item, ',')) r.zero_probs.push_back(std::stod(item));
  }
  return r;
}

double mnist_accuracy(nn::Model& model, double divisor) {
  static const io::Split raw = io::load_idx_split(shared + "/datasets/mnist", "t10k", 1.0);
  std::vector<std::int64_t> shape{raw.x.shape()[0]};
  for (std::int64_t d : model.input_shape()) shape.push_back(d);
  const Tensor x = core::div(raw.x, Tensor::scalar(divisor)).reshape(shape);
  const auto pred = core::argmax(model.predict(x, 500), -1).to_vector<std::int64_t>();
  const auto labels = raw.y.to_vector<std::int64_t>();
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += pred[i] == labels[i];
  return static_cast<double>(hits) / static_cast<double>(pred.size());
}

void check_against_manifest(nn::Model& model, const std::string& file, double divisor) {
  const Reference ref = manifest_reference(file);
  BOOST_TEST_CONTEXT(file) {
    BOOST_TEST(model.count_params() == io::read_keras_file(files + file).param_count());
    Shape batch_of_one{1};
    for (std::int64_t d : model.input_shape()) batch_of_one.push_back(d);
    const Tensor zero = Tensor::zeros(batch_of_one);
    const Tensor out = model.predict(zero);
    BOOST_REQUIRE(!ref.zero_probs.empty());
    test::check_close(out, ref.zero_probs, 1e-5, 1e-5, "zero input");
    BOOST_TEST(core::argmax(out, -1).item() == ref.zero_argmax);
    if (ref.accuracy >= 0 && file.find("iris") == std::string::npos)
      BOOST_TEST(std::fabs(mnist_accuracy(model, divisor) - ref.accuracy) < 1e-9);
  }
}

std::vector<std::vector<float>> weight_values(const nn::Model& m) {
  std::vector<std::vector<float>> out;
  for (const Variable& v : m.weights()) out.push_back(v.value().to_vector<float>());
  return out;
}

std::string tmp(const std::string& name) {
  const fs::path dir = fs::path(test::scratch_dir()) / "keras_models";
  fs::create_directories(dir);
  return (dir / name).string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_keras_models)

BOOST_AUTO_TEST_CASE(full_model_files_reproduce_the_manifest) {
  const std::vector<std::pair<std::string, double>> cases = {
      {"keras2.0.8_seq_mlp_full.h5", 255},
      {"tfkeras2.2.4-tf_seq_flatten_mlp_full.h5", 1},  // trained on raw 0..255 pixels
      {"tfkeras2.3.0-tf_seq_flatten_dropout_full.h5", 255},
      {"tfkeras2.8.0_seq_flatten_customnames_full.h5", 255},
      {"tfkeras2.10.0_seq_flatten_full_noopt.h5", 255},
      {"keras3.3.3_seq_mlp_full.h5", 255},
      {"keras3.10.0_seq_flatten_fashion_full.h5", 255},
      {"keras3.10.0_seq_flatten_dropout.keras", 255}};
  for (const auto& [file, divisor] : cases) {
    auto model_ptr = load_model(files + file);
    nn::Model& model = *model_ptr;
    check_against_manifest(model, file, divisor);
  }
}

BOOST_AUTO_TEST_CASE(weights_only_files_with_their_architecture) {
  const std::string arch = std::string(TG_SOURCE_DIR) + "/tests/data/arch/";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"keras2.1.6_seq_mlp_act_dropout_weights.h5", arch + "keras2.1.6_seq_mlp_act_dropout.json"},
      {"keras2.2.4_seq_mlp_weights.h5", arch + "keras2.2.4_seq_mlp.json"},
      {"keras2.2.4_functional_iris_act_weights.h5", arch + "keras2.2.4_functional_iris_as_sequential.json"},
      {"tfkeras2.10.0_seq_flatten_weights.h5", files + "tfkeras2.10.0_seq_flatten_full_noopt.h5"},
      {"tfkeras2.12.0_seq_mlp_weights.h5", arch + "tfkeras2.12.0_seq_mlp.json"},
      {"keras3.x_seq_mlp_fashion.weights.h5", arch + "keras3_seq_mlp_fashion.json"}};
  for (const auto& [file, architecture] : cases) {
    auto model_ptr = load_architecture(architecture);
    nn::Model& model = *model_ptr;
    load_weights(model, files + file);
    check_against_manifest(model, file, 255);
  }
  // Iris row 0 (5.1, 3.5, 1.4) -> [0.810826, 0.0654452, 0.123729] per the manifest.
  auto iris_ptr = load_architecture(arch + "keras2.2.4_functional_iris_as_sequential.json");
    nn::Model& iris = *iris_ptr;
  load_weights(iris, files + "keras2.2.4_functional_iris_act_weights.h5");
  test::check_close(iris.predict(Tensor::from_values({5.1, 3.5, 1.4}, Shape{1, 3})), {0.810826, 0.0654452, 0.123729}, 1e-5,
                    1e-5, "iris row 0");
}

BOOST_AUTO_TEST_CASE(unknown_classes_are_named_with_the_registry) {
  // A class the registry lacks: the file, the model and position, the class, and every known class.
  io::KerasModel km = io::read_keras_file(files + "tfkeras2.10.0_seq_flatten_full_noopt.h5");
  km.model_config["config"]["layers"][2]["class_name"] = "Conv9D";
  const std::string odd = tmp("unknown_class.h5");
  io::write_legacy_h5(km, odd, false);
  test::check_throws_with<io::FileError>([&] { load_model(odd); },
                                         {odd, "Sequential 'sequential' layer 2", "unknown layer class 'Conv9D'",
                                          "known layer classes: Activation, Add", "Dense"});
  test::check_throws_with<io::FileError>([] { load_model(files + "tfkeras2.12.0_seq_mlp_weights.h5"); }, {"weights only"});
}

BOOST_AUTO_TEST_CASE(round_trips_are_bit_exact) {
  nn::set_random_seed(7);
  nn::Sequential model({nn::Flatten(), nn::Dense(16, "relu"), nn::Dropout(0.1), nn::Dense(10, "softmax")});
  model.build(Shape{4, 7});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  const auto original = weight_values(model);
  for (const std::string name : {"rt.weights.h5", "rt_legacy.h5"}) {
    save_weights(model, tmp(name));
    nn::set_random_seed(99);  // a differently initialised twin
    nn::Sequential twin({nn::Flatten(), nn::Dense(16, "relu"), nn::Dropout(0.1), nn::Dense(10, "softmax")});
    twin.build(Shape{4, 7});
    BOOST_TEST(weight_values(twin) != original);
    load_weights(twin, tmp(name));
    BOOST_TEST(weight_values(twin) == original, name);
  }
  for (const std::string name : {"rt_model.h5", "rt_model.keras"}) {
    save_model(model, tmp(name));
    auto back_ptr = load_model(tmp(name));
    nn::Model& back = *back_ptr;
    BOOST_TEST(weight_values(back) == original, name);
    BOOST_TEST(back.summary().substr(back.summary().find('\n')) == model.summary().substr(model.summary().find('\n')));
    BOOST_TEST(back.loss()->name() == "sparse_categorical_crossentropy");
    BOOST_TEST(back.optimizer()->class_name() == "Adam");
    BOOST_TEST(back.optimizer()->iterations() == 0);
    BOOST_REQUIRE_EQUAL(back.metrics().size(), 1u);
    BOOST_TEST(back.metrics()[0]->name() == "accuracy");
  }
  // A .keras archive claims the Keras 3 version whose layout it has, not the legacy writer's 2.10.
  BOOST_TEST(io::read_keras_file(tmp("rt_model.keras")).keras_version == "3.10.0");
  BOOST_TEST(io::read_keras_file(tmp("rt_model.h5")).keras_version == "2.10.0");
  // A real Keras file loaded and saved again by tapegrad loads back to identical weights.
  auto real_ptr = load_model(files + "tfkeras2.8.0_seq_flatten_customnames_full.h5");
    nn::Model& real = *real_ptr;
  for (const std::string name : {"resaved.h5", "resaved.keras", "resaved.weights.h5"}) {
    if (name.find("weights") != std::string::npos) save_weights(real, tmp(name));
    else save_model(real, tmp(name));
    auto again_ptr = load_architecture(files + "tfkeras2.8.0_seq_flatten_customnames_full.h5");
    nn::Model& again = *again_ptr;
    load_weights(again, tmp(name));
    BOOST_TEST(weight_values(again) == weight_values(real), name);
  }
}

BOOST_AUTO_TEST_CASE(optimizer_state_resumes_training_exactly) {
  Generator g(5);
  const Tensor x = Tensor::uniform(Shape{64, 6}, -1, 1, g);
  Tensor y(Shape{64}, DType::int64);
  for (std::int64_t i = 0; i < 64; ++i) y.data<std::int64_t>()[i] = static_cast<std::int64_t>(g.next_below(3));
  const std::vector<std::pair<std::string, std::function<std::shared_ptr<nn::Optimizer>()>>> optimizers = {
      {"adam", [] { return std::make_shared<nn::Adam>(0.01, 0.8, 0.99, 1e-6, true); }},
      {"sgd", [] { return std::make_shared<nn::SGD>(0.05, 0.9, true); }},
      {"sgd_plain", [] { return std::make_shared<nn::SGD>(0.05); }},
      {"rmsprop", [] { return std::make_shared<nn::RMSprop>(0.002, 0.8, 0.5, 1e-6, true); }},
      {"adamw", [] { return std::make_shared<nn::AdamW>(0.003, 0.01); }},
      {"adam_decay", [] { return std::make_shared<nn::Adam>(std::make_shared<nn::ExponentialDecay>(0.02, 2, 0.5, true)); }},
      {"sgd_decay", [] { return std::make_shared<nn::SGD>(std::make_shared<nn::ExponentialDecay>(0.1, 3, 0.7), 0.5); }}};
  for (const auto& [label, make] : optimizers)
    for (const std::string suffix : {".h5", ".keras"}) {
      BOOST_TEST_CONTEXT(label << suffix) {
        nn::set_random_seed(8);
        nn::Sequential model({nn::Dense(8, "relu"), nn::Dense(3, "softmax")});
        model.compile(make(), nn::get_loss("sparse_categorical_crossentropy"), {"accuracy"});
        for (int i = 0; i < 3; ++i) model.train_on_batch(x, y);
        const std::string path = tmp("resume_" + label + suffix);
        save_model(model, path);
        auto resumed_ptr = load_model(path);
    nn::Model& resumed = *resumed_ptr;
        BOOST_REQUIRE(resumed.optimizer());
        BOOST_TEST(resumed.optimizer()->class_name() == model.optimizer()->class_name());
        BOOST_TEST(resumed.optimizer()->get_config(nn::KerasFormat::keras3) == model.optimizer()->get_config(nn::KerasFormat::keras3));  // every hyper-parameter
        BOOST_TEST(resumed.optimizer()->iterations() == 3);
        // A schedule comes back as a schedule (a constant would stop decaying after the resume).
        BOOST_TEST(!resumed.optimizer()->learning_rate_schedule() == !model.optimizer()->learning_rate_schedule());
        BOOST_REQUIRE_EQUAL(resumed.metrics().size(), 1u);
        BOOST_TEST(resumed.metrics()[0]->name() == "accuracy");
        for (int i = 0; i < 2; ++i) {
          model.train_on_batch(x, y);
          resumed.train_on_batch(x, y);
        }
        BOOST_TEST(weight_values(resumed) == weight_values(model));
      }
    }
}

BOOST_AUTO_TEST_CASE(legacy_files_carry_tf_keras_2_10_compile_config) {
  nn::clear_session();
  nn::Sequential model({nn::Dense(8, "relu"), nn::Dense(3, "softmax")});
  model.build(Shape{6});
  model.compile(std::make_shared<nn::SGD>(0.05, 0.9, true), nn::get_loss("categorical_crossentropy"), {"accuracy"});
  save_model(model, tmp("sgd_untrained.h5"));
  const io::KerasModel km = io::read_keras_file(tmp("sgd_untrained.h5"));
  BOOST_TEST(km.optimizer_weights.empty());  // tf.keras 2.10 has no optimizer variables before a step
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "loss": "categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper",
                  "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
    "weighted_metrics": null, "loss_weights": null,
    "optimizer_config": {"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.05, "decay": 0.0,
                                                         "momentum": 0.9, "nesterov": true}}})");
  BOOST_TEST(km.training_config == expected, km.training_config.dump());
  auto back_ptr = load_model(tmp("sgd_untrained.h5"));
    nn::Model& back = *back_ptr;
  BOOST_TEST(back.optimizer()->iterations() == 0);
  const auto* sgd = dynamic_cast<const nn::SGD*>(back.optimizer().get());
  BOOST_REQUIRE(sgd);
  BOOST_TEST(sgd->learning_rate() == 0.05);
  BOOST_TEST(sgd->momentum() == 0.9);
  BOOST_TEST(sgd->nesterov());
  BOOST_REQUIRE_EQUAL(back.metrics().size(), 1u);
  BOOST_TEST(back.metrics()[0]->name() == "accuracy");
  BOOST_TEST(dynamic_cast<const nn::CategoricalAccuracy*>(back.metrics()[0].get()));
}

// A loss compiled with from_logits is saved as Keras' loss object (a bare name would come back
// as a probability loss and resume training on the wrong function).
BOOST_AUTO_TEST_CASE(from_logits_losses_survive_a_round_trip) {
  Generator g(6);
  const Tensor x = Tensor::uniform(Shape{16, 5}, -1, 1, g);
  Tensor y(Shape{16}, DType::int64);
  for (std::int64_t i = 0; i < 16; ++i) y.data<std::int64_t>()[i] = static_cast<std::int64_t>(g.next_below(4));
  for (const std::string suffix : {".h5", ".keras"}) {
    BOOST_TEST_CONTEXT(suffix) {
      nn::set_random_seed(3);
      nn::Sequential model({nn::Dense(6, "relu"), nn::Dense(4)});  // logits out
      model.compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(true), {"accuracy"});
      model.train_on_batch(x, y);
      const std::string path = tmp("logits_loss" + suffix);
      save_model(model, path);
      const nlohmann::json loss = io::read_keras_file(path).training_config.at("loss");
      BOOST_TEST(loss.at("class_name") == "SparseCategoricalCrossentropy");
      BOOST_TEST(loss.at("config").at("from_logits") == true);
      BOOST_TEST(loss.at("config").at("reduction") == (suffix == ".keras" ? "sum_over_batch_size" : "auto"));
      auto back_ptr = load_model(path);
    nn::Model& back = *back_ptr;
      const auto* l = dynamic_cast<const nn::SparseCategoricalCrossentropy*>(back.loss().get());
      BOOST_REQUIRE(l);
      BOOST_TEST(l->from_logits);
      const double a = model.train_on_batch(x, y).at("loss"), b = back.train_on_batch(x, y).at("loss");
      BOOST_TEST(a == b);  // same loss function, same optimizer state: the same step
      BOOST_TEST(weight_values(back) == weight_values(model));
    }
  }
  // A default loss keeps the bare name real files carry.
  nn::Sequential plain({nn::Dense(4, "softmax")});
  plain.build(Shape{5});
  plain.compile("adam", "categorical_crossentropy", {});
  save_model(plain, tmp("plain_loss.h5"));
  BOOST_TEST(io::read_keras_file(tmp("plain_loss.h5")).training_config.at("loss") == "categorical_crossentropy");
}

BOOST_AUTO_TEST_CASE(real_files_compile_and_resume_their_optimizer) {
  // tf.keras 2.2.4-tf: Adam with float32-rounded hyper-parameters and 13 optimizer_v2 arrays.
  const std::string f224 = files + "tfkeras2.2.4-tf_seq_flatten_mlp_full.h5";
  const io::KerasModel k224 = io::read_keras_file(f224);
  BOOST_REQUIRE_EQUAL(k224.optimizer_weights.size(), 13u);
  auto m224_ptr = load_model(f224);
    nn::Model& m224 = *m224_ptr;
  const auto* adam = dynamic_cast<const nn::Adam*>(m224.optimizer().get());
  BOOST_REQUIRE(adam);
  BOOST_TEST(adam->learning_rate() == 0.0010000000474974513);
  BOOST_TEST(adam->beta_1() == 0.8999999761581421);
  BOOST_TEST(adam->beta_2() == 0.9990000128746033);
  BOOST_TEST(m224.optimizer()->iterations() == static_cast<std::int64_t>(k224.optimizer_weights[0].values.at(0)));
  BOOST_TEST(m224.optimizer()->iterations() > 0);
  std::map<std::string, std::vector<double>> file_slots;
  for (const auto& w : k224.optimizer_weights) file_slots[w.name] = w.values;
  std::map<std::string, std::vector<double>> state;
  for (const auto& s : m224.optimizer()->state(m224.trainable_variables())) state[s.name] = s.value.to_vector<double>();
  BOOST_TEST(state.at("adam/dense_105_kernel_momentum") == file_slots.at("Adam/dense_105/kernel/m:0"));
  BOOST_TEST(state.at("adam/dense_107_bias_velocity") == file_slots.at("Adam/dense_107/bias/v:0"));
  BOOST_TEST(state.at("adam/learning_rate") == std::vector<double>{0.0010000000474974513});
  BOOST_REQUIRE_EQUAL(m224.metrics().size(), 1u);
  BOOST_TEST(dynamic_cast<const nn::SparseCategoricalAccuracy*>(m224.metrics()[0].get()));

  // tf.keras 2.8 / 2.10: metrics as [[MeanMetricWrapper]]; the name is the one compile was given.
  auto m28_ptr = load_model(files + "tfkeras2.8.0_seq_flatten_customnames_full.h5");
    nn::Model& m28 = *m28_ptr;
  BOOST_REQUIRE_EQUAL(m28.metrics().size(), 1u);
  BOOST_TEST(m28.metrics()[0]->name() == "accuracy");
  BOOST_TEST(dynamic_cast<const nn::CategoricalAccuracy*>(m28.metrics()[0].get()));
  BOOST_TEST(m28.optimizer()->class_name() == "SGD");
  BOOST_TEST(m28.optimizer()->learning_rate() == 0.009999999776482582);
  BOOST_TEST(m28.optimizer()->iterations() == 46649);  // "SGD/iter:0", its only optimizer array
  auto m210_ptr = load_model(files + "tfkeras2.10.0_seq_flatten_full_noopt.h5");
    nn::Model& m210 = *m210_ptr;
  BOOST_REQUIRE_EQUAL(m210.metrics().size(), 1u);
  BOOST_TEST(m210.metrics()[0]->name() == "sparse_categorical_accuracy");

  // Keras 3's legacy writer: "adam/sequential_1_dense_3_kernel_momentum", the model name in front.
  const std::string f3 = files + "keras3.10.0_seq_flatten_fashion_full.h5";
  const io::KerasModel k3 = io::read_keras_file(f3);
  BOOST_REQUIRE_EQUAL(k3.optimizer_weights.size(), 14u);
  BOOST_TEST(k3.optimizer_weights[2].name == "adam/sequential_1_dense_3_kernel_momentum");
  auto m3_ptr = load_model(f3);
    nn::Model& m3 = *m3_ptr;
  BOOST_TEST(m3.optimizer()->iterations() == static_cast<std::int64_t>(k3.optimizer_weights[0].values.at(0)));
  BOOST_TEST(m3.optimizer()->iterations() > 0);
  std::map<std::string, std::vector<double>> state3;
  for (const auto& s : m3.optimizer()->state(m3.trainable_variables())) state3[s.name] = s.value.to_vector<double>();
  BOOST_TEST(state3.at("adam/dense_3_kernel_momentum") == k3.optimizer_weights[2].values);

  // Keras 3 .keras: optimizer/vars by position, slots variable by variable.
  const std::string fk = files + "keras3.10.0_seq_flatten_dropout.keras";
  const io::KerasModel kk = io::read_keras_file(fk);
  BOOST_REQUIRE_EQUAL(kk.optimizer_weights.size(), 14u);
  auto mk_ptr = load_model(fk);
    nn::Model& mk = *mk_ptr;
  BOOST_TEST(mk.optimizer()->iterations() == static_cast<std::int64_t>(kk.optimizer_weights[0].values.at(0)));
  BOOST_TEST(mk.optimizer()->iterations() > 0);
  std::map<std::string, std::vector<double>> kstate;
  for (const auto& s : mk.optimizer()->state(mk.trainable_variables())) kstate[s.name] = s.value.to_vector<double>();
  BOOST_TEST(kstate.at("adam/dense_kernel_momentum") == kk.optimizer_weights[2].values);
  BOOST_TEST(kstate.at("adam/dense_kernel_velocity") == kk.optimizer_weights[3].values);
  BOOST_TEST(kstate.at("adam/dense_1_bias_momentum") == kk.optimizer_weights[8].values);
  BOOST_TEST(kstate.at("adam/dense_2_bias_velocity") == kk.optimizer_weights[13].values);
}

BOOST_AUTO_TEST_CASE(mismatches_leave_weights_untouched) {
  nn::set_random_seed(3);
  nn::Sequential small({nn::Dense(64, "relu", {.name = "dense_3"}), nn::Dense(10, "softmax", {.name = "dense_4"})});
  small.build(Shape{784});
  const auto before = weight_values(small);
  test::check_throws_with<io::FileError>([&] { load_weights(small, files + "keras2.2.4_seq_mlp_weights.h5"); },
                                         {"file has 3 layers with weights", "model has 2: dense_3, dense_4"});
  nn::Sequential wide({nn::Dense(128, "relu", {.name = "wide"}), nn::Dense(10, "softmax")});
  wide.build(Shape{784});
  const auto wide_before = weight_values(wide);
  test::check_throws_with<io::FileError>([&] { load_weights(wide, files + "keras2.0.8_seq_mlp_full.h5"); },
                                         {"Dense 'wide'", "kernel shape (784, 64) in file, layer expects (784, 128)"});
  BOOST_TEST(weight_values(wide) == wide_before);
  // skip_mismatch loads what fits: the file is 784 -> 64 -> 10; this model 700 -> 64 -> 10.
  nn::Sequential narrow({nn::Dense(64, "relu"), nn::Dense(10, "softmax")});
  narrow.build(Shape{700});
  const auto narrow_before = weight_values(narrow);
  LoadWeightsOptions skip;
  skip.skip_mismatch = true;
  load_weights(narrow, files + "keras2.0.8_seq_mlp_full.h5", skip);
  const auto narrow_after = weight_values(narrow);
  BOOST_TEST(narrow_after[0] == narrow_before[0]);  // (700, 64) vs (784, 64): skipped
  BOOST_TEST(narrow_after[2] == weight_values(*load_model(files + "keras2.0.8_seq_mlp_full.h5"))[2]);  // (64, 10): loaded
  LoadWeightsOptions by_name;
  by_name.by_name = true;
  load_weights(small, files + "keras2.0.8_seq_mlp_full.h5", by_name);  // the file's layers are dense_3, dense_4
  BOOST_TEST(weight_values(small) != before);
  BOOST_TEST(weight_values(small) == weight_values(*load_model(files + "keras2.0.8_seq_mlp_full.h5")));
}

BOOST_AUTO_TEST_CASE(corrupt_inputs_throw_and_change_nothing) {
  auto model_ptr = load_architecture(files + "tfkeras2.10.0_seq_flatten_full_noopt.h5");
    nn::Model& model = *model_ptr;
  const auto before = weight_values(model);
  const std::string real = files + "tfkeras2.10.0_seq_flatten_weights.h5";
  std::ifstream in(real, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> bad;
  for (std::size_t n : {std::size_t{0}, std::size_t{8}, std::size_t{512}, bytes.size() / 2, bytes.size() - 100}) {
    bad.push_back(tmp("truncated_" + std::to_string(n) + ".h5"));
    std::ofstream(bad.back(), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n));
  }
  bad.push_back(tmp("a_directory.h5"));
  fs::create_directories(bad.back());
  bad.push_back(tmp("missing.h5"));
  fs::remove(bad.back());
  for (const auto& path : bad) {
    BOOST_CHECK_THROW(load_weights(model, path), std::exception);
    BOOST_CHECK_THROW(load_model(path), std::exception);
    BOOST_TEST(weight_values(model) == before, path);
  }
  try {
    load_weights(model, bad[0]);
  } catch (const std::exception& e) {
    BOOST_TEST(std::string(e.what()).find(bad[0]) != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(save_is_atomic) {
  nn::Sequential model({nn::Dense(4)});
  model.build(Shape{3});
  const std::string target = tmp("keep.h5");
  save_weights(model, target);
  const auto size = fs::file_size(target);
  BOOST_CHECK_THROW(save_weights(model, tmp("no_such_dir/x.h5")), std::exception);
  BOOST_CHECK_THROW(save_weights(model, tmp("bad_suffix.txt")), std::invalid_argument);
  BOOST_TEST(fs::file_size(target) == size);
  for (const auto& e : fs::directory_iterator(fs::path(target).parent_path()))
    BOOST_TEST(e.path().filename().string().find(".tmp") == std::string::npos, e.path());
}

BOOST_AUTO_TEST_CASE(tensor_dumps_round_trip) {
  Generator g(2);
  const Tensor a = Tensor::normal(Shape{3, 4}, 0, 1, g), b = Tensor::normal(Shape{5}, 0, 1, g, DType::float64);
  save_tensors({{"grads/dense/kernel", a}, {"grads/dense/bias", b}}, tmp("dump.h5"));
  const auto back = load_tensors(tmp("dump.h5"));
  BOOST_TEST(back.at("grads/dense/kernel").to_vector<float>() == a.to_vector<float>());
  BOOST_TEST(back.at("grads/dense/bias").dtype() == DType::float64);
  BOOST_TEST(back.at("grads/dense/bias").to_vector<double>() == b.to_vector<double>());
}

BOOST_AUTO_TEST_SUITE_END()
