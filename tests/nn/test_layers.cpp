#include <cmath>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {
// A built Dense with the given weights.
std::shared_ptr<Dense> dense_with(const Tensor& kernel, const Tensor& bias, const std::string& act) {
  DenseOptions o;
  o.dtype = kernel.dtype();
  auto d = std::make_shared<Dense>(kernel.shape()[1], act, o);
  d->build(Shape{kernel.shape()[0]});
  d->kernel().assign(kernel);
  d->bias().assign(bias);
  return d;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_layers)

BOOST_AUTO_TEST_CASE(dense_matches_tfjs_and_torch) {
  for (const char* file : {"keras_dense.json", "torch_dense.json"}) {
    const auto j = test::load_golden(file);
    const bool f64 = std::string(file).rfind("torch", 0) == 0;
    for (const auto& c : j.at("dense")) {
      const Tensor x = test::golden_tensor(c.at("x")), k = test::golden_tensor(c.at("kernel")), b = test::golden_tensor(c.at("bias"));
      for (const char* act : {"linear", "relu", "softmax", "sigmoid", "tanh"}) {
        auto d = dense_with(k, b, act);
        const auto want = test::golden_tensor(c.at("outputs").at(act)).to_vector<double>();
        test::check_close((*d)(x), want, f64 ? 1e-12 : 1e-5, f64 ? 1e-14 : 1e-6, std::string(file) + " " + act);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mlp_gradients_match_tfjs_and_torch) {
  for (const char* file : {"keras_dense.json", "torch_dense.json"}) {
    const auto j = test::load_golden(file).at("mlp");
    const bool f64 = std::string(file).rfind("torch", 0) == 0;
    const auto& p = j.at("params");
    Sequential model({dense_with(test::golden_tensor(p.at("W1")), test::golden_tensor(p.at("b1")), "relu"),
                      dense_with(test::golden_tensor(p.at("W2")), test::golden_tensor(p.at("b2")), "softmax")});
    GradientTape tape;
    const Tensor y = model(test::golden_tensor(j.at("x")));
    const Tensor loss = SparseCategoricalCrossentropy()(test::golden_tensor(j.at("labels")), y);
    const auto grads = tape.gradient(loss, model.trainable_variables());
    const double tol = f64 ? 1e-12 : 1e-5;
    BOOST_TEST(std::fabs(loss.item() - j.at("loss").get<double>()) < tol);
    const char* names[] = {"W1", "b1", "W2", "b2"};
    for (int i = 0; i < 4; ++i)
      test::check_close(grads[static_cast<std::size_t>(i)], test::golden_tensor(j.at("grads").at(names[i])).to_vector<double>(), tol,
                        tol, std::string(file) + " grad " + names[i]);
  }
}

BOOST_AUTO_TEST_CASE(dense_gradient_check_with_fused_relu) {
  Generator g(81);
  Tensor x = Tensor::normal(Shape{3, 17}, 0, 1, g, DType::float64);
  Tensor k = Tensor::normal(Shape{17, 5}, 0, 1, g, DType::float64);
  Tensor b = Tensor::normal(Shape{5}, 0, 1, g, DType::float64);
  for (bool fuse : {false, true}) {
    const GradCheckResult r = check_gradients([fuse](const std::vector<Tensor>& v) { return dense(v[0], v[1], v[2], fuse); },
                                              {x, k, b});
    BOOST_TEST(r.passed, r.message);
  }
  // matmul in every transpose mode
  Tensor a = Tensor::normal(Shape{4, 3}, 0, 1, g, DType::float64), c = Tensor::normal(Shape{3, 5}, 0, 1, g, DType::float64);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor aa = ta ? core::transpose(a) : a, cc = tb ? core::transpose(c) : c;
      const GradCheckResult r = check_gradients([&](const std::vector<Tensor>& v) { return matmul(v[0], v[1], ta, tb); }, {aa, cc});
      BOOST_TEST(r.passed, r.message);
    }
}

BOOST_AUTO_TEST_CASE(softmax_dense_equals_dense_then_activation_and_exposes_logits) {
  set_random_seed(5);
  Sequential fused({Flatten(), Dense(16, "relu"), Dense(10, "softmax")});
  Sequential split({Flatten(), Dense(16, "relu"), Dense(10), Activation("softmax")});
  fused.build(Shape{4, 4});
  split.build(Shape{4, 4});
  const auto fw = fused.weights(), sw = split.weights();
  BOOST_REQUIRE_EQUAL(fw.size(), sw.size());
  for (std::size_t i = 0; i < fw.size(); ++i) sw[i].assign(fw[i].value());
  Generator g(3);
  const Tensor x = Tensor::uniform(Shape{6, 4, 4}, 0, 1, g);
  const Tensor a = fused(x);
  const auto outs = split.call_with_intermediates(x);
  test::check_close(outs.back(), a.to_vector<double>(), 0, 0, "same probabilities");
  const Tensor logits = outs[outs.size() - 2];
  test::check_close(core::softmax(logits), a.to_vector<double>(), 0, 0, "the readable logits give them");
  test::check_close(core::argmax(logits, 1), core::argmax(a, 1).to_vector<double>(), 0, 0, "argmax unchanged");
}

BOOST_AUTO_TEST_CASE(keras_names_and_weight_layout) {
  clear_session();
  Dense d1(3), d2(4);
  Flatten f;
  Activation act("relu");
  BOOST_TEST(d1.name() == "dense");
  BOOST_TEST(d2.name() == "dense_1");
  BOOST_TEST(f.name() == "flatten");
  BOOST_TEST(act.name() == "activation");
  BOOST_TEST(ReLU().name() == "re_lu");
  DenseOptions named;
  named.name = "logits";
  BOOST_TEST(Dense(2, "linear", named).name() == "logits");
  d1.build(Shape{7});
  BOOST_TEST(d1.kernel().shape() == (Shape{7, 3}));
  BOOST_TEST(d1.bias().shape() == (Shape{3}));
  BOOST_TEST(d1.kernel().name() == "dense/kernel");
  BOOST_TEST(d1.count_params() == 24);
  for (float v : d1.bias().value().to_vector<float>()) BOOST_TEST(v == 0.0f);
}

BOOST_AUTO_TEST_CASE(initializers_follow_keras_limits) {
  const auto j = test::load_golden("keras_initializers.json");
  Generator g(9);
  for (const auto& c : j.at("cases")) {
    const std::string name = c.at("name");
    const Tensor w = initialize(name, Shape{784, 128}, g, DType::float64);
    const auto v = w.to_vector<double>();
    double mx = 0, sq = 0;
    for (double x : v) mx = std::max(mx, std::fabs(x)), sq += x * x;
    const double std_emp = std::sqrt(sq / static_cast<double>(v.size()));
    if (c.contains("limit")) {
      const double limit = c.at("limit");
      BOOST_TEST(mx <= limit);
      BOOST_TEST(mx > 0.99 * limit);
      BOOST_TEST(std::fabs(std_emp - limit / std::sqrt(3.0)) < 0.01 * limit);
    } else {
      const double stddev = c.at("stddev");
      BOOST_TEST(mx <= 2 * stddev);  // truncated at two standard deviations of the untruncated normal
      // The truncation correction makes the empirical std equal the VarianceScaling target.
      BOOST_TEST(std::fabs(std_emp - stddev * 0.87962566103423978) < 0.01 * stddev);
    }
  }
  Generator a(1), b(1);
  BOOST_TEST(initialize("glorot_uniform", Shape{5, 3}, a).to_vector<float>() == initialize("glorot_uniform", Shape{5, 3}, b).to_vector<float>());
}

BOOST_AUTO_TEST_CASE(dropout_layer_is_active_only_in_training) {
  Dropout d(0.5, 42);
  const Tensor x = Tensor::ones(Shape{4, 100});
  BOOST_TEST(d(x, false).is_same(x));
  const auto y = d(x, true).to_vector<float>();
  int zeros = 0;
  for (float v : y) zeros += v == 0.0f;
  BOOST_TEST((zeros > 120 && zeros < 280));
}

BOOST_AUTO_TEST_CASE(bad_layer_input) {
  test::check_throws_with([] { Dense(3, "swishy"); }, {"unknown activation 'swishy'", "relu"});
  test::check_throws_with([] { Activation("gelux"); }, {"gelux"});
  test::check_throws_with([] { Dense(3, "relu", DenseOptions{.kernel_initializer = "orthogonally"}); },
                          {"unknown initializer 'orthogonally'", "glorot_uniform"});
  Dense d(3, "relu", DenseOptions{.name = "dense_9"});
  d.build(Shape{4});
  test::check_throws_with([&] { d(Tensor::zeros(Shape{2, 5})); }, {"Dense 'dense_9'", "(None, 4)", "(2, 5)"});
}

BOOST_AUTO_TEST_SUITE_END()
