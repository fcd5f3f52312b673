#include <cmath>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

namespace {
// Reference per-example loss in double: logsumexp(x) - x[label].
double ref_xent(const std::vector<double>& x, std::size_t label) {
  double m = x[0];
  for (double v : x) m = std::max(m, v);
  double s = 0;
  for (double v : x) s += std::exp(v - m);
  return m + std::log(s) - x[label];
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_crossentropy)

BOOST_AUTO_TEST_CASE(fused_forward_matches_logsumexp_reference) {
  Generator g(61);
  Tensor logits = test::random_tensor(Shape{5, 17}, g, DType::float64, -4, 4);
  const std::vector<std::int64_t> ids = {0, 16, 3, 3, 9};
  Tensor labels = Tensor::from_vector(ids, Shape{5});
  Tensor per = sparse_softmax_cross_entropy_with_logits(labels, logits, Reduction::none);
  double mean_ref = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    std::vector<double> row;
    for (std::int64_t j = 0; j < 17; ++j) row.push_back(logits.at({static_cast<std::int64_t>(i), j}));
    const double r = ref_xent(row, static_cast<std::size_t>(ids[i]));
    BOOST_TEST(std::fabs(per.at({static_cast<std::int64_t>(i)}) - r) < 1e-12);
    mean_ref += r / 5;
  }
  BOOST_TEST(std::fabs(sparse_softmax_cross_entropy_with_logits(labels, logits).item() - mean_ref) < 1e-12);
  // One-hot labels through the dense op give the same numbers.
  Tensor onehot = Tensor::zeros(Shape{5, 17}, DType::float64);
  for (std::size_t i = 0; i < 5; ++i) onehot.data<double>()[i * 17 + static_cast<std::size_t>(ids[i])] = 1;
  BOOST_TEST(std::fabs(softmax_cross_entropy_with_logits(onehot, logits).item() - mean_ref) < 1e-12);
}

BOOST_AUTO_TEST_CASE(fused_gradient_is_softmax_minus_onehot_over_n) {
  Generator g(62);
  Tensor logits = test::random_tensor(Shape{4, 3}, g, DType::float64);
  Tensor labels = Tensor::from_vector<std::int64_t>({2, 0, 1, 1}, Shape{4});
  GradientTape tape;
  tape.watch(logits);
  Tensor loss = sparse_softmax_cross_entropy_with_logits(labels, logits);
  Tensor grad = tape.gradient(loss, logits);
  Tensor p = core::softmax(logits);
  std::vector<double> want = p.to_vector<double>();
  const std::vector<int> l = {2, 0, 1, 1};
  for (std::size_t i = 0; i < 4; ++i) want[i * 3 + static_cast<std::size_t>(l[i])] -= 1;
  for (double& w : want) w /= 4;
  test::check_close(grad, want, 1e-12, 1e-14, "(softmax - onehot) / N");
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    Tensor soft = core::softmax(test::random_tensor(Shape{4, 3}, g, DType::float64));
    test::expect_gradients([&](const std::vector<Tensor>& v) { return softmax_cross_entropy_with_logits(soft, v[0], r); },
                           {logits}, "dense xent");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return sparse_softmax_cross_entropy_with_logits(labels, v[0], r); },
                           {logits}, "sparse xent");
  }
}

BOOST_AUTO_TEST_CASE(huge_logits_give_finite_loss_and_gradient_in_float32) {
  for (double big : {1000.0, 1e4}) {
    Tensor logits = Tensor::from_values({big, 0, -big, -big, big, 0}, Shape{2, 3});
    Tensor labels = Tensor::from_vector<std::int64_t>({2, 1}, Shape{2});
    GradientTape tape;
    tape.watch(logits);
    Tensor loss = sparse_softmax_cross_entropy_with_logits(labels, logits);
    Tensor grad = tape.gradient(loss, logits);
    BOOST_TEST(std::isfinite(loss.item()));
    BOOST_TEST(std::fabs(loss.item() - big) < big * 1e-6);  // row 0 costs 2*big, row 1 costs 0: mean = big
    for (float v : grad.to_vector<float>()) BOOST_TEST(std::isfinite(v));
    test::check_close(grad, {0.5, 0, -0.5, 0, 0, 0}, 1e-6, 1e-7, "gradient");
  }
}

BOOST_AUTO_TEST_CASE(probability_path_computes_on_the_probabilities) {
  Tensor logits = Tensor::from_values({1e4, 0, -1e4}, Shape{1, 3});
  Tensor labels = Tensor::from_vector<std::int64_t>({2}, Shape{1});
  // The op computes on exactly what it is given, as tf.keras.backend does (the Keras losses of nn
  // swap an activation's output for its logits, tests/nn/test_losses.cpp): clipped at 1e-7,
  // -log(1e-7 / (1 + 1e-7)) in Keras.
  const double clipped = sparse_categorical_crossentropy(labels, softmax(logits)).item();
  BOOST_TEST(std::fabs(clipped - (-std::log(1e-7) + std::log(1 - 1e-7 + 2e-7))) < 1e-4);
}

BOOST_AUTO_TEST_CASE(categorical_probability_path_renormalises_then_clips) {
  // Keras docstring example: categorical_crossentropy(a, b) = [0.10536, 0.11653, 0.06188].
  Tensor a = Tensor::from_values({1, 0, 0, 0, 1, 0, 0, 0, 1}, Shape{3, 3});
  Tensor b = Tensor::from_values({.9, .05, .05, .05, .89, .06, .05, .01, .94}, Shape{3, 3});
  test::check_close(categorical_crossentropy(a, b, false, Reduction::none), {0.10536, 0.11653, 0.06188}, 0, 5e-6, "keras");
  // Rows not summing to 1 are renormalised first.
  test::check_close(categorical_crossentropy(a, b * 2.0, false, Reduction::none), {0.10536, 0.11653, 0.06188}, 0, 5e-6,
                    "renormalised");
  Generator g(63);
  Tensor p = core::softmax(test::random_tensor(Shape{3, 4}, g, DType::float64));
  Tensor t = core::softmax(test::random_tensor(Shape{3, 4}, g, DType::float64));
  test::expect_gradients([&](const std::vector<Tensor>& v) { return categorical_crossentropy(t, v[0]); }, {p}, "cce probs");
}

BOOST_AUTO_TEST_CASE(binary_and_mse) {
  Tensor y = Tensor::from_values({0, 1, 0, 0}, Shape{2, 2});
  Tensor p = Tensor::from_values({0.6, 0.4, 0.4, 0.6}, Shape{2, 2});
  // Keras docs: BinaryCrossentropy()(y_true=[[0, 1], [0, 0]], y_pred=[[0.6, 0.4], [0.4, 0.6]]) = 0.815
  BOOST_TEST(std::fabs(binary_crossentropy(y, p).item() - 0.815) < 1e-3);
  // Keras docs: MeanSquaredError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]) = 0.5
  BOOST_TEST(mean_squared_error(y, Tensor::from_values({1, 1, 1, 0}, Shape{2, 2})).item() == 0.5);
  Generator g(64);
  Tensor logits = test::random_tensor(Shape{3, 2}, g, DType::float64, -3, 3);
  Tensor z = Tensor::from_values({0, 1, 1, 0, 1, 1}, Shape{3, 2}, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return binary_crossentropy(z, v[0], true); }, {logits}, "bce logits");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return mean_squared_error(z, v[0]); }, {logits}, "mse");
  BOOST_TEST(std::fabs(binary_crossentropy(z, logits, true).item() - binary_crossentropy(z, sigmoid(logits)).item()) < 1e-6);
}

BOOST_AUTO_TEST_CASE(bad_labels_are_named) {
  Tensor logits = Tensor::zeros(Shape{4, 10});
  test::check_throws_with([&] { sparse_softmax_cross_entropy_with_logits(Tensor::from_vector<std::int64_t>({1, 2, 12, 3}, Shape{4}), logits); },
                          {"label 12", "position 2", "10 classes"});
  test::check_throws_with([&] { sparse_softmax_cross_entropy_with_logits(Tensor::from_vector<std::int64_t>({-1, 2, 1, 3}, Shape{4}), logits); },
                          {"label -1", "10 classes"});
  test::check_throws_with([&] { sparse_softmax_cross_entropy_with_logits(Tensor::from_vector<std::int64_t>({1, 2}, Shape{2}), logits); },
                          {"(2,)", "(4, 10)"});
  test::check_throws_with([&] { softmax_cross_entropy_with_logits(Tensor::zeros(Shape{4, 3}), logits); }, {"(4, 3)", "(4, 10)"});
}

BOOST_AUTO_TEST_CASE(check_numerics_catches_nan_loss) {
  Tensor bad = Tensor::from_values({1, NAN}, Shape{2});
  test::check_throws_with<std::runtime_error>([&] { check_numerics(mean(bad), "loss"); }, {"loss", "1 NaN"});
  BOOST_TEST(check_numerics(Tensor::ones(Shape{2}), "ok").numel() == 2);
}


// Issue 8, problem 7: the cross-entropies are differentiable in their labels (distillation,
// learned soft labels), as in TensorFlow and PyTorch: d/dlabels = -log_softmax(logits) / N.
BOOST_AUTO_TEST_CASE(gradients_with_respect_to_soft_labels) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("soft_label_gradients");
  const Tensor logits = test::golden_tensor(c.at("logits")), labels = test::golden_tensor(c.at("labels"));
  {
    GradientTape tape;
    tape.watch(logits);
    tape.watch(labels);
    const Tensor loss = softmax_cross_entropy_with_logits(labels, logits);
    BOOST_TEST(std::fabs(loss.item() - c.at("loss").get<double>()) < 1e-15);
    const auto g = tape.gradient(loss, std::vector<Tensor>{logits, labels});
    test::check_close(g[0], test::golden_tensor(c.at("grad_logits")).to_vector<double>(), 1e-14, 1e-16, "logits");
    test::check_close(g[1], test::golden_tensor(c.at("grad_labels")).to_vector<double>(), 1e-14, 1e-16, "labels");
  }
  {  // categorical_crossentropy(from_logits) is the same op; binary from logits: d/dz = -x / (N C).
    GradientTape tape;
    tape.watch(labels);
    const Tensor loss = categorical_crossentropy(labels, logits, /*from_logits=*/true);
    test::check_close(tape.gradient(loss, labels), test::golden_tensor(c.at("grad_labels")).to_vector<double>(), 1e-14,
                      1e-16, "categorical from logits");
    const Tensor bx = test::golden_tensor(c.at("binary_logits")), bz = test::golden_tensor(c.at("binary_labels"));
    GradientTape tape2;
    tape2.watch(bz);
    const Tensor bl = binary_crossentropy(bz, bx, /*from_logits=*/true);
    BOOST_TEST(std::fabs(bl.item() - c.at("binary_loss").get<double>()) < 1e-15);
    test::check_close(tape2.gradient(bl, bz), test::golden_tensor(c.at("binary_grad_labels")).to_vector<double>(),
                      1e-14, 1e-16, "binary from logits");
  }
  // Central differences in float64 for both arguments, all reductions, and the probability forms.
  Generator gen(7);
  const Tensor soft = core::softmax(test::random_tensor(Shape{3, 5}, gen, DType::float64));
  const Tensor x = test::random_tensor(Shape{3, 5}, gen, DType::float64);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none})
    test::expect_gradients([&](const std::vector<Tensor>& v) { return softmax_cross_entropy_with_logits(v[0], v[1], r); },
                           {soft, x}, "softmax xent labels and logits");
  const Tensor z = Tensor::uniform(Shape{3, 5}, 0.1, 0.9, gen, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return binary_crossentropy(v[0], v[1], true); }, {z, x},
                         "binary from logits");
  const Tensor p = Tensor::uniform(Shape{3, 5}, 0.1, 0.9, gen, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return binary_crossentropy(v[0], v[1], false); }, {z, p},
                         "binary from probabilities");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return categorical_crossentropy(v[0], v[1], false); },
                         {soft, core::softmax(x)}, "categorical from probabilities");
}

BOOST_AUTO_TEST_SUITE_END()
