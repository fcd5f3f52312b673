#include <cmath>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_losses)

// Every loss case from TensorFlow.js (float32, Keras semantics) and the float64 torch transcription:
// per-sample losses, the mean, and the gradient with respect to y_pred.
BOOST_AUTO_TEST_CASE(losses_and_gradients_match_golden) {
  for (const char* file : {"keras_losses.json", "torch_losses.json"}) {
    const bool f64 = std::string(file).rfind("torch", 0) == 0;
    const auto golden = test::load_golden(file);  // named: a range-for would not extend its life
    for (const auto& c : golden.at("cases")) {
      const std::string name = c.at("name"), kind = c.at("keras_loss");
      const bool from_logits = c.value("from_logits", nlohmann::json()) == true;  // null for MSE
      const Tensor y_true = test::golden_tensor(c.at("y_true"));
      const Tensor y_pred = test::golden_tensor(c.at("y_pred"));
      auto loss_fn = [&](const Tensor& p, Reduction r) {
        if (kind == "sparse_categorical_crossentropy") return sparse_categorical_crossentropy(y_true, p, from_logits, r);
        if (kind == "categorical_crossentropy") return categorical_crossentropy(y_true, p, from_logits, r);
        if (kind == "binary_crossentropy") return binary_crossentropy(y_true, p, from_logits, r);
        return mean_squared_error(y_true, p, r);
      };
      // tfjs computes the +-1000 logit gradients with float32 error near 1000's ulp (see the README).
      const bool large = name.find("large") != std::string::npos;
      const double rtol = f64 ? 1e-12 : 1e-5, atol = f64 ? 1e-13 : (large ? 1e-5 : 1e-6);
      BOOST_TEST_CONTEXT(file << " " << name) {
        test::check_close(loss_fn(y_pred, Reduction::none), test::golden_tensor(c.at("per_sample")).to_vector<double>(), rtol,
                          atol, "per sample");
        GradientTape tape;
        tape.watch(y_pred);
        const Tensor loss = loss_fn(y_pred, Reduction::mean);
        BOOST_TEST(std::fabs(loss.item() - c.at("loss").get<double>()) <= atol + rtol * std::fabs(c.at("loss").get<double>()));
        test::check_close(tape.gradient(loss, y_pred), test::golden_tensor(c.at("grad_y_pred")).to_vector<double>(), rtol,
                          atol, "gradient");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(loss_objects_and_names) {
  BOOST_TEST(nn::get_loss("sparse_categorical_crossentropy")->name() == "sparse_categorical_crossentropy");
  BOOST_TEST(nn::get_loss("mse")->name() == "mean_squared_error");
  test::check_throws_with([] { nn::get_loss("squared_hinge_x"); }, {"unknown loss 'squared_hinge_x'", "huber"});
  const Tensor labels = Tensor::from_vector<std::int64_t>({1}, Shape{1});
  const Tensor logits = Tensor::from_values({0, 2, 0}, Shape{1, 3});
  const double want = -std::log(std::exp(2.0) / (2 + std::exp(2.0)));
  BOOST_TEST(std::fabs(nn::SparseCategoricalCrossentropy(true)(labels, logits).item() - want) < 1e-6);
  BOOST_TEST(std::fabs(nn::SparseCategoricalCrossentropy({.from_logits = true})(labels, logits).item() - want) < 1e-6);
  // Options structs, checked by the constructor, with the option and the value in the message.
  const nn::CategoricalCrossentropy smoothed({.from_logits = true, .label_smoothing = 0.25});
  BOOST_TEST(smoothed.from_logits);
  BOOST_TEST(smoothed.label_smoothing == 0.25);
  test::check_throws_with([] { nn::CategoricalCrossentropy({.label_smoothing = 1.5}); },
                          {"CategoricalCrossentropy", "label_smoothing must be in [0, 1]", "1.5"});
  test::check_throws_with([] { nn::SparseCategoricalCrossentropy({.label_smoothing = 0.1}); },
                          {"SparseCategoricalCrossentropy", "label_smoothing is not an option"});
  test::check_throws_with([] { nn::loss_from_config(nn::Config{{"class_name", "BinaryCrossentropy"}, {"config", {{"label_smoothing", -1}}}}, "test"); },
                          {"BinaryCrossentropy", "label_smoothing must be in [0, 1]", "-1"});
  test::check_throws_with([] { nn::Huber({.delta = 0}); }, {"Huber", "delta must be positive"});
}

BOOST_AUTO_TEST_CASE(metrics_accumulate) {
  auto acc = nn::get_metric("accuracy", "sparse_categorical_crossentropy");
  BOOST_TEST(acc->name() == "accuracy");
  acc->update_state(Tensor::from_vector<std::int64_t>({0, 1}, Shape{2}), Tensor::from_values({0.9, 0.1, 0.8, 0.2}, Shape{2, 2}));
  acc->update_state(Tensor::from_vector<std::int64_t>({1}, Shape{1}), Tensor::from_values({0.3, 0.7}, Shape{1, 2}));
  BOOST_TEST(std::fabs(acc->result() - 2.0 / 3) < 1e-12);
  acc->reset_state();
  BOOST_TEST(acc->result() == 0);
  nn::CategoricalAccuracy cat;
  cat.update_state(Tensor::from_values({0, 1, 1, 0}, Shape{2, 2}), Tensor::from_values({0.4, 0.6, 0.4, 0.6}, Shape{2, 2}));
  BOOST_TEST(cat.result() == 0.5);
  nn::BinaryAccuracy bin;
  bin.update_state(Tensor::from_values({1, 0, 1}, Shape{3, 1}), Tensor::from_values({0.7, 0.2, 0.4}, Shape{3, 1}));
  BOOST_TEST(std::fabs(bin.result() - 2.0 / 3) < 1e-12);
  test::check_throws_with([] { nn::get_metric("aucx", ""); }, {"unknown metric 'aucx'", "auc"});
}


// Issue 8, problem 1: binary_crossentropy on a sigmoid activation's output works on its logits, as
// Keras does: logit 20 with label 0 costs softplus(20) = 20.0 (not the clipped 16.118) with
// gradient sigmoid(20) ~ 1 (not 0). PyTorch's binary_cross_entropy_with_logits is the reference.
BOOST_AUTO_TEST_CASE(binary_crossentropy_on_sigmoid_output_uses_logits) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("sigmoid_bce");
  const Tensor logits = test::golden_tensor(c.at("logits")), labels = test::golden_tensor(c.at("labels"));
  GradientTape tape;
  tape.watch(logits);
  const Tensor loss = nn::BinaryCrossentropy()(labels, nn::activation("sigmoid", logits));
  BOOST_TEST(std::fabs(loss.item() - c.at("loss").get<double>()) < 1e-14);
  test::check_close(tape.gradient(loss, logits), test::golden_tensor(c.at("grad_logits")).to_vector<double>(), 1e-14,
                    1e-16, "gradient");
  // The single case of the issue, through a Dense(1, "sigmoid") layer in float32.
  nn::Dense dense(1, "sigmoid", {.kernel_initializer = "ones", .bias_initializer = "zeros"});
  Variable x(Tensor::from_values({20}, Shape{1, 1}), "x");
  GradientTape tape2;
  const Tensor l2 = nn::BinaryCrossentropy()(Tensor::zeros(Shape{1, 1}), dense(x.value()));
  BOOST_TEST(std::fabs(l2.item() - 20.0) < 1e-5);
  BOOST_TEST(std::fabs(tape2.gradient(l2, x.value()).item() - 1.0) < 1e-6);
  // The same probabilities as a plain tensor are clipped, as Keras clips them.
  const Tensor plain = sigmoid(logits);
  BOOST_TEST(std::fabs(nn::BinaryCrossentropy()(labels, plain).item() - c.at("loss").get<double>()) > 0.5);
}

// Issue 8, problem 2: the logits shortcut is taken only for a softmax over the last axis; a
// softmax over axis 0 is an ordinary probability tensor (Keras' formula, PyTorch float64).
BOOST_AUTO_TEST_CASE(softmax_over_another_axis_is_not_a_logits_shortcut) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("softmax_other_axis");
  const Tensor x = test::golden_tensor(c.at("x")), y = test::golden_tensor(c.at("y"));
  for (bool layer : {false, true}) {
    GradientTape tape;
    tape.watch(x);
    const Tensor probs = layer ? nn::Softmax(0)(x) : softmax(x, 0);
    const Tensor loss = layer ? nn::CategoricalCrossentropy()(y, probs) : categorical_crossentropy(y, probs);
    BOOST_TEST(std::fabs(loss.item() - c.at("loss").get<double>()) < 1e-14);
    test::check_close(tape.gradient(loss, x), test::golden_tensor(c.at("grad_x")).to_vector<double>(), 1e-12, 1e-15,
                      layer ? "Softmax(axis=0) layer" : "tg::softmax(x, 0)");
  }
  const Tensor id = Tensor::from_values({1, 0, 0, 0, 1, 0, 0, 0, 1}, Shape{3, 3}, DType::float64);
  const Tensor zeros = Tensor::zeros(Shape{3, 3}, DType::float64);
  BOOST_TEST(std::fabs(nn::CategoricalCrossentropy()(id, nn::Softmax(0)(zeros)).item() -
                       c.at("zeros_3x3_identity_loss").get<double>()) < 1e-15);
  // Over the last axis the shortcut stands: logits of 1e4 give the exact loss 2e4.
  const Tensor big = Tensor::from_values({1e4, 0, -1e4}, Shape{1, 3});
  const Tensor label = Tensor::from_vector<std::int64_t>({2}, Shape{1});
  BOOST_TEST(std::fabs(nn::SparseCategoricalCrossentropy()(label, nn::Softmax()(big)).item() - 2e4) < 1);
  BOOST_TEST(std::fabs(nn::SparseCategoricalCrossentropy()(label, nn::activation("softmax", big)).item() - 2e4) < 1);
}

BOOST_AUTO_TEST_SUITE_END()
