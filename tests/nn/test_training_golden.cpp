// Issue 8's training features against Keras 3's formulas (tests/golden/torch_training.json, made by
// gen_torch_training.py: Keras' source transcribed in torch float64). Everything runs in float64.
#include <cmath>
#include <fstream>
#include <sstream>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

const nlohmann::json& golden() {
  static const nlohmann::json j = test::load_golden("torch_training.json");
  return j;
}

std::vector<double> values(const nlohmann::json& t) { return test::golden_tensor(t).to_vector<double>(); }

bool near(double got, double want, double rtol = 1e-13, double atol = 1e-15) { return test::close(got, want, rtol, atol); }

Config object(const std::string& class_name, const Config& config) { return {{"class_name", class_name}, {"config", config}}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_training_golden)

// MeanAbsoluteError, Huber, KLDivergence, LogCosh, Hinge and label smoothing: per-sample values,
// the mean and its gradient, each loss built from its Keras config.
BOOST_AUTO_TEST_CASE(losses_match_keras_formulas) {
  for (const auto& c : golden().at("losses")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const auto loss = loss_from_config(object(c.at("loss").get<std::string>(), c.at("config")), "test");
      const Tensor y_true = test::golden_tensor(c.at("y_true")), y_pred = test::golden_tensor(c.at("y_pred"));
      test::check_close(loss->per_sample(y_true, y_pred), values(c.at("per_sample")), 1e-13, 1e-15, "per sample");
      GradientTape tape;
      tape.watch(y_pred);
      const Tensor l = (*loss)(y_true, y_pred);
      BOOST_TEST(near(l.item(), c.at("value").get<double>()), "loss " << l.item() << " vs " << c.at("value"));
      test::check_close(tape.gradient(l, y_pred), values(c.at("grad_y_pred")), 1e-12, 1e-15, "gradient");
    }
  }
}

// clipnorm, clipvalue, global_clipnorm and weight_decay on SGD (momentum, Nesterov), Adam and
// AdamW: two variables over three steps of given gradients.
BOOST_AUTO_TEST_CASE(optimizer_clipping_and_weight_decay_match_keras) {
  for (const auto& c : golden().at("optimizers")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      Config cfg = c.at("config");
      if (c.contains("schedule")) cfg["learning_rate"] = c.at("schedule");
      const auto opt = optimizer_from_config(object(c.at("optimizer").get<std::string>(), cfg), "test");
      std::vector<Variable> vars{Variable(test::golden_tensor(c.at("init")[0]), "w0"),
                                 Variable(test::golden_tensor(c.at("init")[1]), "w1")};
      for (std::size_t step = 0; step < c.at("grads").size(); ++step) {
        opt->apply_gradients({test::golden_tensor(c.at("grads")[step][0]), test::golden_tensor(c.at("grads")[step][1])}, vars);
        for (std::size_t v = 0; v < 2; ++v)
          test::check_close(vars[v].value(), values(c.at("after")[step][v]), 1e-13, 1e-15,
                            "step " + std::to_string(step + 1) + " variable " + std::to_string(v));
      }
    }
  }
  // AdamW's default weight decay (0.004) by constructor too, not only from a config.
  for (const auto& c : golden().at("optimizers")) {
    if (c.at("name") != "adamw_default") continue;
    AdamW opt(0.01);
    BOOST_TEST(opt.weight_decay() == 0.004);
    std::vector<Variable> vars{Variable(test::golden_tensor(c.at("init")[0]), "w0"),
                               Variable(test::golden_tensor(c.at("init")[1]), "w1")};
    for (std::size_t step = 0; step < 3; ++step)
      opt.apply_gradients({test::golden_tensor(c.at("grads")[step][0]), test::golden_tensor(c.at("grads")[step][1])}, vars);
    test::check_close(vars[0].value(), values(c.at("after")[2][0]), 1e-13, 1e-15, "AdamW(0.01) kernel");
  }
}

// Every schedule at steps 0 ... 250, built from its Keras config.
BOOST_AUTO_TEST_CASE(schedules_match_keras) {
  for (const auto& c : golden().at("schedules")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const auto s = schedule_from_config(object(c.at("class_name").get<std::string>(), c.at("config")), "test");
      const auto steps = c.at("steps").get<std::vector<std::int64_t>>();
      const auto want = c.at("values").get<std::vector<double>>();
      for (std::size_t i = 0; i < steps.size(); ++i)
        BOOST_TEST(near((*s)(steps[i]), want[i], 1e-14, 1e-17), "step " << steps[i] << ": " << (*s)(steps[i]) << " vs " << want[i]);
    }
  }
}

// Precision, Recall, AUC, TopKCategoricalAccuracy and MeanAbsoluteError: the result after each of
// two update_state calls.
BOOST_AUTO_TEST_CASE(metrics_match_keras) {
  for (const auto& c : golden().at("metrics")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const auto m = metric_registry().create(c.at("metric").get<std::string>(), c.at("config"), "test");
      const auto want = c.at("results").get<std::vector<double>>();
      for (std::size_t b = 0; b < want.size(); ++b) {
        const auto& batch = c.at("batches")[b];
        m->update_state(test::golden_tensor(batch.at("y_true")), test::golden_tensor(batch.at("y_pred")));
        BOOST_TEST(near(m->result(), want[b], 1e-14), "after batch " << b << ": " << m->result() << " vs " << want[b]);
      }
      m->reset_state();
      BOOST_TEST(m->result() == 0.0);
    }
  }
}

namespace {
// A one-layer model with the case's weights, loss and regularizers, compiled with SGD.
std::shared_ptr<Sequential> fit_model(const nlohmann::json& c) {
  DenseOptions o{.dtype = DType::float64};
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = get_regularizer(c.at("kernel_regularizer"), "test");
  if (c.contains("bias_regularizer")) o.bias_regularizer = get_regularizer(c.at("bias_regularizer"), "test");
  auto model = std::make_shared<Sequential>();
  model->add(Dense(c.at("units").get<std::int64_t>(), "linear", o));
  model->build(Shape{test::golden_tensor(c.at("x")).shape()[1]});
  model->set_weights({test::golden_tensor(c.at("kernel")), test::golden_tensor(c.at("bias"))});
  const std::string loss = c.at("loss").get<std::string>();
  std::shared_ptr<Loss> l = loss == "sparse_categorical_crossentropy" ? std::make_shared<SparseCategoricalCrossentropy>(true)
                            : loss == "categorical_crossentropy"      ? std::make_shared<CategoricalCrossentropy>(true)
                            : loss == "binary_crossentropy"           ? std::static_pointer_cast<Loss>(std::make_shared<BinaryCrossentropy>(true))
                                                                      : std::make_shared<MeanSquaredError>();
  model->compile(std::make_shared<SGD>(c.at("learning_rate").get<double>()), l);
  return model;
}
}  // namespace

// sample_weight, class_weight and kernel/bias regularizers in fit: one full-batch SGD step. The
// reported loss is Keras' sum(loss * weight) / N plus the penalties; the weights after the step
// equal the step on that loss's gradient. evaluate(sample_weight) gives the same loss.
BOOST_AUTO_TEST_CASE(fit_weights_and_regularizers_match_keras) {
  for (const auto& c : golden().at("fit")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      auto model = fit_model(c);
      const Tensor x = test::golden_tensor(c.at("x")), y = test::golden_tensor(c.at("y"));
      const double want = c.at("loss_value").get<double>();
      if (c.contains("effective_sample_weight")) {
        const double before = model->evaluate({x}, {y}, 64, 0, test::golden_tensor(c.at("effective_sample_weight"))).at("loss");
        BOOST_TEST(near(before, want), "evaluate: " << before << " vs " << want);
      } else {
        BOOST_TEST(near(model->evaluate(x, y, 64).at("loss"), want));
      }
      FitOptions o;
      o.batch_size = x.shape()[0];
      o.shuffle = false;
      o.verbose = 0;
      if (c.contains("sample_weight")) o.sample_weight = test::golden_tensor(c.at("sample_weight"));
      if (c.contains("class_weight"))
        for (const auto& kv : c.at("class_weight")) o.class_weight[kv[0].get<std::int64_t>()] = kv[1].get<double>();
      const History h = model->fit(x, y, o);
      BOOST_TEST(near(h.history.at("loss").at(0), want), "fit loss " << h.history.at("loss").at(0) << " vs " << want);
      test::check_close(model->weights()[0].value(), values(c.at("kernel_after")), 1e-13, 1e-15, "kernel");
      test::check_close(model->weights()[1].value(), values(c.at("bias_after")), 1e-13, 1e-15, "bias");
    }
  }
}

// ReduceLROnPlateau on scripted monitor values (hand-made epoch logs): the rate after each epoch.
BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_matches_keras) {
  for (const auto& c : golden().at("callbacks").at("reduce_lr_on_plateau")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const auto& k = c.at("config");
      Sequential model({Dense(1)});
      // The metric names the auto-mode cases monitor ("val_auc", "val_mae"): their direction decides.
      model.compile(std::make_shared<SGD>(c.at("initial_learning_rate").get<double>()), std::make_shared<MeanSquaredError>(),
                    {"auc", "mae"});
      ReduceLROnPlateau cb(c.at("monitor").get<std::string>(), k.at("factor").get<double>(), k.at("patience").get<int>(),
                           k.at("mode").get<std::string>(), k.at("min_delta").get<double>(), k.at("cooldown").get<int>(),
                           k.at("min_lr").get<double>());
      cb.set_model(&model);
      cb.on_train_begin({});
      const auto vals = c.at("values").get<std::vector<double>>();
      const auto want = c.at("learning_rate_after_epoch").get<std::vector<double>>();
      for (std::size_t e = 0; e < vals.size(); ++e) {
        cb.on_epoch_end(static_cast<int>(e), {{"loss", 1.0}, {c.at("monitor").get<std::string>(), vals[e]}});
        BOOST_TEST(near(model.optimizer()->learning_rate(), want[e], 1e-15, 0),
                   "epoch " << e << ": " << model.optimizer()->learning_rate() << " vs " << want[e]);
      }
    }
  }
}

// LearningRateScheduler in fit: the schedule of Keras' docstring sets each epoch's rate, and the
// weights after every epoch equal SGD steps at those rates.
BOOST_AUTO_TEST_CASE(learning_rate_scheduler_in_fit_matches_keras) {
  const auto& c = golden().at("callbacks").at("learning_rate_scheduler");
  Sequential model({Dense(2, "linear", DenseOptions{.dtype = DType::float64})});
  model.build(Shape{3});
  model.set_weights({test::golden_tensor(c.at("kernel")), test::golden_tensor(c.at("bias"))});
  model.compile(std::make_shared<SGD>(c.at("initial_learning_rate").get<double>()), std::make_shared<MeanSquaredError>());
  auto sched = std::make_shared<LearningRateScheduler>([](int epoch, double lr) { return epoch < 2 ? lr : lr * std::exp(-0.1); });
  auto record = std::make_shared<LambdaCallback>();
  std::vector<double> rates;
  std::vector<std::vector<double>> kernels, biases;
  record->epoch_end = [&](int, const Logs&) {
    rates.push_back(model.optimizer()->learning_rate());
    kernels.push_back(model.weights()[0].value().to_vector<double>());
    biases.push_back(model.weights()[1].value().to_vector<double>());
  };
  FitOptions o;
  o.epochs = 5;
  o.batch_size = 4;
  o.shuffle = false;
  o.verbose = 0;
  o.callbacks = {sched, record};
  model.fit(test::golden_tensor(c.at("x")), test::golden_tensor(c.at("y")), o);
  const auto want = c.at("learning_rate_per_epoch").get<std::vector<double>>();
  BOOST_REQUIRE_EQUAL(rates.size(), want.size());
  for (std::size_t e = 0; e < want.size(); ++e) {
    BOOST_TEST(near(rates[e], want[e], 1e-15, 0), "epoch " << e);
    test::check_close(Tensor::from_vector(kernels[e], Shape{3, 2}), values(c.at("kernel_after_epoch")[e]), 1e-13, 1e-15, "kernel");
    test::check_close(Tensor::from_vector(biases[e], Shape{2}), values(c.at("bias_after_epoch")[e]), 1e-13, 1e-15, "bias");
  }
}

// CSVLogger writes what Keras' CSVLogger writes with Python's csv module, byte for byte: sorted
// keys fixed at the first epoch, val_ columns of "NA" when there is no validation, \r\n line ends,
// floats as Python's repr.
BOOST_AUTO_TEST_CASE(csv_logger_matches_keras_file) {
  for (const auto& c : golden().at("callbacks").at("csv_logger")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const std::string path = test::scratch_dir() + "_golden_" + c.at("name").get<std::string>() + ".csv";
      CSVLogger logger(path, c.at("separator").get<std::string>().at(0));
      logger.on_train_begin({});
      int epoch = 0;
      for (const auto& e : c.at("epochs")) {
        Logs logs;
        for (const auto& kv : e) logs[kv[0].get<std::string>()] = std::stod(kv[1].get<std::string>());
        logger.on_epoch_end(epoch++, logs);
      }
      logger.on_train_end({});
      std::ifstream in(path, std::ios::binary);
      std::stringstream got;
      got << in.rdbuf();
      BOOST_TEST(got.str() == c.at("text").get<std::string>());
    }
  }
}

// Keras 3's CSVLogger in append mode writes no second header when the file already has content.
BOOST_AUTO_TEST_CASE(csv_logger_append_keeps_one_header) {
  const std::string path = test::scratch_dir() + "_golden_append.csv";
  for (int run = 0; run < 2; ++run) {
    CSVLogger logger(path, ',', /*append=*/run == 1);
    logger.on_train_begin({});
    logger.on_epoch_end(0, {{"loss", 0.5}, {"val_loss", 0.25}});
    logger.on_train_end({});
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  BOOST_TEST(got.str() == "epoch,loss,val_loss\r\n0,0.5,0.25\r\n0,0.5,0.25\r\n");
}

// TerminateOnNaN (Keras 3 terminate_on_nan.py): the batch whose loss is NaN sets stop_training;
// fit's loop (trainer.py) ends the epoch after that batch, still logs the epoch (its mean loss is
// NaN) and runs no further epoch.
BOOST_AUTO_TEST_CASE(terminate_on_nan_stops_after_the_nan_batch) {
  Sequential model({Dense(1, "linear", DenseOptions{.kernel_initializer = "ones", .dtype = DType::float64})});
  model.compile(std::make_shared<SGD>(0.01), std::make_shared<MeanSquaredError>());
  Tensor x = Tensor::ones(Shape{8, 2}, DType::float64);
  x.data<double>()[2 * 5] = std::nan("");  // sample 5 is in batch 2 of batch_size 2
  auto stop = std::make_shared<TerminateOnNaN>();
  auto count = std::make_shared<LambdaCallback>();
  std::int64_t batches = 0;
  int epochs_ended = 0;
  count->batch_end = [&](std::int64_t, const Logs&) { ++batches; };
  count->epoch_end = [&](int, const Logs&) { ++epochs_ended; };
  FitOptions o;
  o.epochs = 3;
  o.batch_size = 2;
  o.shuffle = false;
  o.verbose = 0;
  o.callbacks = {stop, count};
  const History h = model.fit(x, Tensor::zeros(Shape{8, 1}, DType::float64), o);
  BOOST_TEST(stop->terminated());
  BOOST_TEST(batches == 3);  // batches 0, 1 and the NaN batch 2; not batch 3
  BOOST_TEST(epochs_ended == 1);
  BOOST_TEST(h.epoch.size() == 1u);
  BOOST_TEST(std::isnan(h.history.at("loss").at(0)));
}

BOOST_AUTO_TEST_SUITE_END()
