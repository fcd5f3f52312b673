// nn/tensorboard_callback.cpp: fit with TensorBoard writes Keras' layout and tags, with the values
// of the History, plus gradient histograms, norms and update ratios.
#include <filesystem>
#include <map>

#include "summary/reader.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

struct RunLog {
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> scalars;
  std::map<std::string, std::vector<std::pair<std::int64_t, summary::Histogram>>> histograms;
};

RunLog read_run(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  BOOST_REQUIRE_EQUAL(files.size(), 1u);
  BOOST_TEST(fs::path(files[0]).filename().string().rfind("events.out.tfevents.", 0) == 0u);
  RunLog out;
  const summary::EventFile f = summary::read_event_file(files[0]);
  BOOST_TEST(f.error == "");
  BOOST_TEST(!f.truncated);
  for (const auto& e : f.events)
    for (const auto& v : e.values) {
      if (v.kind == summary::Value::Kind::scalar) out.scalars[v.tag].emplace_back(e.step, v.scalar);
      if (v.kind == summary::Value::Kind::histogram) out.histograms[v.tag].emplace_back(e.step, v.histogram);
    }
  return out;
}

// The float32 a scalar summary stores.
double f32(double v) { return static_cast<float>(v); }

// Sees what the TensorBoard callback sees: the last batch's gradients and the weights before its step.
struct Spy : nn::Callback {
  std::vector<std::vector<double>> grads, before;
  std::vector<std::string> names;
  std::vector<double> batch_losses;
  void on_train_batch_gradients(const nn::BatchGradients& s) override {
    if (s.batch != s.steps - 1) return;
    grads.clear(), before.clear(), names.clear();
    for (std::size_t i = 0; i < s.grads.size(); ++i) {
      grads.push_back(s.grads[i].to_vector<double>());
      before.push_back(s.variables[i].value().to_vector<double>());
      names.push_back(s.variables[i].name());
    }
  }
  void on_train_batch_end(std::int64_t, const nn::Logs& logs) override { batch_losses.push_back(logs.at("loss")); }
};

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_tensorboard_callback)

BOOST_AUTO_TEST_CASE(fit_writes_keras_layout_and_tags_with_history_values) {
  const std::string dir = test::scratch_dir() + "/tensorboard/fit";
  fs::remove_all(dir);
  nn::set_random_seed(5);
  nn::Sequential model({nn::Dense(4, "relu", {.name = "hidden"}), nn::Dense(3, "softmax", {.name = "out"})});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  Generator gen(11);
  const Tensor x = test::random_tensor({40, 5}, gen);
  std::vector<double> labels;
  for (int i = 0; i < 40; ++i) labels.push_back(i % 3);
  const Tensor y = Tensor::from_vector(labels, Shape{40}).to(DType::int64);
  auto spy = std::make_shared<Spy>();
  auto tb = std::make_shared<nn::TensorBoard>(dir, nn::TensorBoardOptions{.histogram_freq = 2, .update_freq = 2});
  // 30 training samples in batches of 8: 4 steps per epoch, 12 in all; 10 validation samples.
  const nn::History h = model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = 0, .validation_split = 0.25,
                                         .callbacks = {spy, tb}});
  BOOST_REQUIRE(fs::is_directory(dir + "/train"));
  BOOST_REQUIRE(fs::is_directory(dir + "/validation"));
  const RunLog train = read_run(dir + "/train"), val = read_run(dir + "/validation");

  // Epoch scalars: the History's values (as float32), at step = epoch.
  for (const auto& [key, tag] : std::vector<std::pair<std::string, std::string>>{{"loss", "epoch_loss"}, {"accuracy", "epoch_accuracy"}}) {
    BOOST_TEST_CONTEXT(tag) {
      BOOST_REQUIRE_EQUAL(train.scalars.at(tag).size(), 3u);
      BOOST_REQUIRE_EQUAL(val.scalars.at(tag).size(), 3u);
      for (int e = 0; e < 3; ++e) {
        BOOST_TEST(train.scalars.at(tag)[e].first == e);
        BOOST_TEST(train.scalars.at(tag)[e].second == f32(h.history.at(key)[e]));
        BOOST_TEST(val.scalars.at(tag)[e].first == e);
        BOOST_TEST(val.scalars.at(tag)[e].second == f32(h.history.at("val_" + key)[e]));
      }
    }
  }
  BOOST_TEST(train.scalars.at("epoch_learning_rate").at(2).second == f32(0.001));
  BOOST_TEST(train.scalars.count("epoch_val_loss") == 0u);
  // Keras' evaluation_<metric>_vs_iterations: step = optimizer iterations after the epoch.
  BOOST_TEST(val.scalars.at("evaluation_loss_vs_iterations").at(1).first == 8);
  BOOST_TEST(val.scalars.at("evaluation_loss_vs_iterations").at(1).second == f32(h.history.at("val_loss")[1]));

  // batch_loss every 2nd batch, step = batches since fit began (from 1).
  const auto& bl = train.scalars.at("batch_loss");
  BOOST_REQUIRE_EQUAL(bl.size(), 6u);
  BOOST_REQUIRE_EQUAL(spy->batch_losses.size(), 12u);
  for (std::size_t i = 0; i < bl.size(); ++i) {
    BOOST_TEST(bl[i].first == static_cast<std::int64_t>(2 * i + 2));
    BOOST_TEST(bl[i].second == f32(spy->batch_losses[2 * i + 1]));
  }

  // Histograms at epochs 0 and 2, every weight, grouped by layer name.
  for (const std::string w : {"hidden/kernel", "hidden/bias", "out/kernel", "out/bias"}) {
    BOOST_TEST_CONTEXT(w) {
      BOOST_REQUIRE_EQUAL(train.histograms.at(w + "/histogram").size(), 2u);
      BOOST_TEST(train.histograms.at(w + "/histogram")[0].first == 0);
      BOOST_TEST(train.histograms.at(w + "/histogram")[1].first == 2);
      BOOST_TEST(train.histograms.at(w + "/gradient_histogram").size() == 2u);
      BOOST_TEST(train.scalars.at(w + "/gradient_norm").size() == 2u);
    }
  }
  // The last histograms show the final weights; the gradient views the last batch's gradients.
  const auto vars = model.trainable_variables();
  BOOST_REQUIRE_EQUAL(spy->names.size(), vars.size());
  double global = 0;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::string w = vars[i].name();
    BOOST_TEST_CONTEXT(w) {
      const auto now = vars[i].value().to_vector<double>();
      double sum = 0;
      for (double v : now) sum += v;
      BOOST_TEST(train.histograms.at(w + "/histogram")[1].second.sum == sum);
      BOOST_TEST(train.histograms.at(w + "/histogram")[1].second.num == static_cast<double>(now.size()));
      BOOST_TEST(train.scalars.at(w + "/gradient_norm")[1].second == f32(norm(spy->grads[i])));
      std::vector<double> update;
      for (std::size_t k = 0; k < now.size(); ++k) update.push_back(now[k] - spy->before[i][k]);
      BOOST_TEST(train.scalars.at(w + "/update_ratio").back().second == f32(norm(update) / norm(spy->before[i])));
      BOOST_TEST(train.scalars.at(w + "/update_ratio").back().first == 2);
      global += norm(spy->grads[i]) * norm(spy->grads[i]);
    }
  }
  BOOST_TEST(train.scalars.at("gradients/global_norm").back().second == f32(std::sqrt(global)), boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(no_validation_no_histograms_by_default) {
  const std::string dir = test::scratch_dir() + "/tensorboard/plain";
  fs::remove_all(dir);
  nn::Sequential model({nn::Dense(2)});
  model.compile("sgd", "mean_squared_error");
  model.fit(Tensor::ones({6, 3}), Tensor::zeros({6, 2}), {.epochs = 2, .batch_size = 3, .verbose = 0,
                                                          .callbacks = {std::make_shared<nn::TensorBoard>(dir)}});
  BOOST_TEST(!fs::exists(dir + "/validation"));
  const RunLog train = read_run(dir + "/train");
  BOOST_TEST(train.histograms.empty());
  BOOST_TEST(train.scalars.count("batch_loss") == 0u);  // update_freq "epoch"
  BOOST_TEST(train.scalars.at("epoch_loss").size() == 2u);
}

BOOST_AUTO_TEST_CASE(unwritable_log_dir_stops_fit_before_any_step) {
  const std::string base = test::scratch_dir() + "/tensorboard/bad";
  fs::remove_all(base);
  fs::create_directories(base);
  std::ofstream(base + "/file") << "x";
  nn::Sequential model({nn::Dense(2)});
  model.compile("sgd", "mean_squared_error");
  model.build(Shape{3});
  const auto before = model.weights()[0].value().to_vector<float>();
  test::check_throws_with<std::runtime_error>(
      [&] {
        model.fit(Tensor::ones({6, 3}), Tensor::zeros({6, 2}),
                  {.verbose = 0, .callbacks = {std::make_shared<nn::TensorBoard>(base + "/file/logs")}});
      },
      {"cannot create the log directory", base + "/file/logs/train"});
  BOOST_TEST(model.weights()[0].value().to_vector<float>() == before, boost::test_tools::per_element());
  test::check_throws_with([] { nn::TensorBoard("logs", 0, "sometimes"); }, {"update_freq", "'sometimes'"});
  BOOST_TEST(nn::UpdateFreq("batch").batches == 1);
  BOOST_TEST(nn::UpdateFreq(0).batches == 0);
}

BOOST_AUTO_TEST_SUITE_END()
