#include <cmath>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_normalization)

namespace {

// Naive batch statistics over every axis but `axis`, from the definition, in double.
struct Stats {
  std::vector<double> mean, var;
};
Stats naive_stats(const Tensor& x, int axis) {
  const auto v = x.to_vector<double>();
  std::int64_t inner = 1;
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const std::int64_t c = x.dim(axis);
  Stats s{std::vector<double>(static_cast<std::size_t>(c), 0.0), std::vector<double>(static_cast<std::size_t>(c), 0.0)};
  std::vector<double> count(static_cast<std::size_t>(c), 0.0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto ch = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % c);
    s.mean[ch] += v[i];
    count[ch] += 1;
  }
  for (std::size_t ch = 0; ch < s.mean.size(); ++ch) s.mean[ch] /= count[ch];
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto ch = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % c);
    s.var[ch] += (v[i] - s.mean[ch]) * (v[i] - s.mean[ch]) / count[ch];
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(training_normalises_with_batch_statistics) {
  Generator gen(31);
  for (DType dt : {DType::float32, DType::float64})
    for (const auto& [shape, axis] : std::vector<std::pair<Shape, int>>{{Shape{3, 4, 5, 17}, -1}, {Shape{4, 3, 7}, 1},
                                                                        {Shape{1, 1}, -1}, {Shape{1023, 3}, -1}, {Shape{5, 1, 2}, 0}}) {
      BOOST_TEST_CONTEXT(shape << " axis " << axis << " " << dtype_name(dt)) {
        // Values far from zero: two-pass statistics stay exact where sum(x^2) - n mean^2 would not.
        const Tensor x = test::random_tensor(shape, gen, dt, 100, 104);
        const int a = axis < 0 ? axis + shape.rank() : axis;
        const Tensor gamma = test::random_tensor(Shape{shape[a]}, gen, dt, 0.5, 2);
        const Tensor beta = test::random_tensor(Shape{shape[a]}, gen, dt);
        const BatchNormTraining r = batch_norm_training(x, gamma, beta, {axis, 1e-3});
        const Stats s = naive_stats(x, a);
        const double tol = dt == DType::float32 ? 2e-5 : 1e-11;
        test::check_close(r.mean, s.mean, tol, 0, "mean");
        test::check_close(r.variance, s.var, tol * 10, tol, "biased variance");
        BOOST_TEST(r.count == x.numel() / shape[a]);
        std::vector<double> want = x.to_vector<double>();
        std::int64_t inner = 1;
        for (int d = a + 1; d < shape.rank(); ++d) inner *= shape[d];
        const auto gm = gamma.to_vector<double>(), bt = beta.to_vector<double>();
        for (std::size_t i = 0; i < want.size(); ++i) {
          const auto ch = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % shape[a]);
          want[i] = (want[i] - s.mean[ch]) / std::sqrt(s.var[ch] + 1e-3) * gm[ch] + bt[ch];
        }
        test::check_close(r.y, want, dt == DType::float32 ? 2e-3 : 1e-9, tol * 10, "y");
      }
    }
}

BOOST_AUTO_TEST_CASE(gradients_of_every_input) {
  Generator gen(32);
  const DType f64 = DType::float64;
  for (const auto& [shape, axis] : std::vector<std::pair<Shape, int>>{{Shape{3, 2, 2, 3}, -1}, {Shape{4, 3, 2}, 1}, {Shape{5, 17}, -1}}) {
    BOOST_TEST_CONTEXT(shape << " axis " << axis) {
      const Tensor x = test::random_tensor(shape, gen, f64);
      const int a = axis < 0 ? axis + shape.rank() : axis;
      const Tensor gamma = test::random_tensor(Shape{shape[a]}, gen, f64, 0.5, 2);
      const Tensor beta = test::random_tensor(Shape{shape[a]}, gen, f64);
      const Tensor mm = test::random_tensor(Shape{shape[a]}, gen, f64);
      const Tensor mv = test::random_tensor(Shape{shape[a]}, gen, f64, 0.5, 2);
      const Tensor w = test::random_tensor(shape, gen, f64);
      const BatchNormOptions o{axis, 1e-3};
      test::expect_gradients([&](const std::vector<Tensor>& v) { return batch_norm_training(v[0], v[1], v[2], o).y * w; },
                             {x, gamma, beta}, "training");
      test::expect_gradients([&](const std::vector<Tensor>& v) { return batch_norm_training(v[0], Tensor(), Tensor(), o).y * w; },
                             {x}, "training, no scale or center");
      test::expect_gradients(
          [&](const std::vector<Tensor>& v) { return batch_norm_inference(v[0], v[3], v[4], v[1], v[2], o) * w; },
          {x, gamma, beta, mm, mv}, "inference");
    }
  }
}

BOOST_AUTO_TEST_CASE(second_order_gradients) {
  // The backward rule under an outer tape is written in differentiable ops.
  Generator gen(33);
  const DType f64 = DType::float64;
  const Tensor x = test::random_tensor(Shape{4, 3}, gen, f64);
  const Tensor gamma = test::random_tensor(Shape{3}, gen, f64, 0.5, 2);
  const Tensor w = test::random_tensor(Shape{4, 3}, gen, f64);
  const Tensor v = test::random_tensor(Shape{4, 3}, gen, f64);
  auto f = [&](const std::vector<Tensor>& in) {
    GradientTape tape;
    tape.watch(in[0]);
    tape.watch(in[1]);
    const auto g = tape.gradient(sum(mul(batch_norm_training(in[0], in[1], Tensor()).y, w)), {in[0], in[1]});
    return add(sum(mul(g[0], v)), sum(square(g[1])));
  };
  test::expect_gradients(f, {x, gamma}, "batch_norm second order", 1e-5, 1e-4);
}

BOOST_AUTO_TEST_CASE(fused_backward_matches_differentiable_rule) {
  // The first-order fused pass and the rule an outer tape gets agree.
  Generator gen(34);
  const Tensor x = test::random_tensor(Shape{6, 3, 4, 5}, gen, DType::float64);
  const Tensor gamma = test::random_tensor(Shape{5}, gen, DType::float64, 0.5, 2);
  const Tensor beta = test::random_tensor(Shape{5}, gen, DType::float64);
  const Tensor w = test::random_tensor(x.shape(), gen, DType::float64);
  std::vector<Tensor> fused, outer;
  {
    GradientTape tape;
    for (const Tensor& t : {x, gamma, beta}) tape.watch(t);
    fused = tape.gradient(sum(mul(batch_norm_training(x, gamma, beta).y, w)), {x, gamma, beta});
  }
  {
    GradientTape outer_tape;
    outer_tape.watch(w);
    GradientTape tape;
    for (const Tensor& t : {x, gamma, beta}) tape.watch(t);
    outer = tape.gradient(sum(mul(batch_norm_training(x, gamma, beta).y, w)), {x, gamma, beta});
  }
  for (std::size_t i = 0; i < 3; ++i) test::check_close(fused[i], outer[i].to_vector<double>(), 1e-10, 1e-12, "input " + std::to_string(i));
}

BOOST_AUTO_TEST_CASE(matches_pytorch_and_keras_moving_update) {
  // tests/golden/gen_torch_conv.py: F.batch_norm in float64 (biased variance in training), and the
  // Keras 3 moving update moving * 0.99 + batch * 0.01 written out.
  const auto j = test::load_golden("torch_normalization.json");
  for (const auto& c : j.at("cases")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const Tensor x = test::golden_tensor(c.at("x")), gamma = test::golden_tensor(c.at("gamma"));
      const Tensor beta = test::golden_tensor(c.at("beta")), mm = test::golden_tensor(c.at("moving_mean"));
      const Tensor mv = test::golden_tensor(c.at("moving_variance"));
      const BatchNormOptions o{c.at("axis").get<std::int64_t>(), c.at("epsilon").get<double>()};
      auto data = [](const nlohmann::json& t) { return t.at("data").get<std::vector<double>>(); };
      const auto& tr = c.at("training");
      {
        GradientTape tape;
        for (const Tensor& t : {x, gamma, beta}) tape.watch(t);
        const BatchNormTraining r = batch_norm_training(x, gamma, beta, o);
        test::check_close(r.y, data(tr.at("y")), 1e-12, 1e-12, "y");
        test::check_close(r.mean, data(tr.at("mean")), 1e-13, 1e-14, "mean");
        test::check_close(r.variance, data(tr.at("variance")), 1e-13, 1e-14, "variance");
        const auto g = tape.gradient(r.y, {x, gamma, beta}, test::golden_tensor(tr.at("dy")));
        test::check_close(g[0], data(tr.at("dx")), 1e-11, 1e-12, "dx");
        test::check_close(g[1], data(tr.at("dgamma")), 1e-12, 1e-12, "dgamma");
        test::check_close(g[2], data(tr.at("dbeta")), 1e-12, 1e-12, "dbeta");
        const double momentum = c.at("momentum").get<double>();
        test::check_close(moving_average_update(mm, r.mean, momentum), data(tr.at("moving_mean_after")), 1e-14, 1e-15, "moving mean");
        test::check_close(moving_average_update(mv, r.variance, momentum), data(tr.at("moving_variance_after")), 1e-14, 1e-15,
                          "moving variance");
      }
      const auto& in = c.at("inference");
      GradientTape tape;
      for (const Tensor& t : {x, gamma, beta}) tape.watch(t);
      const Tensor y = batch_norm_inference(x, mm, mv, gamma, beta, o);
      test::check_close(y, data(in.at("y")), 1e-13, 1e-13, "inference y");
      const auto g = tape.gradient(y, {x, gamma, beta}, test::golden_tensor(in.at("dy")));
      test::check_close(g[0], data(in.at("dx")), 1e-13, 1e-13, "inference dx");
      test::check_close(g[1], data(in.at("dgamma")), 1e-12, 1e-13, "inference dgamma");
      test::check_close(g[2], data(in.at("dbeta")), 1e-12, 1e-13, "inference dbeta");
    }
  }
}

BOOST_AUTO_TEST_CASE(matches_tensorflow_js_keras_layer) {
  // tests/golden/gen_keras_conv.mjs: tfjs-layers BatchNormalization, one training call (batch
  // statistics, moving update with momentum 0.99), then inference with the updated statistics.
  const auto c = test::load_golden("keras_conv.json").at("batch_norm");
  auto data = [](const nlohmann::json& t) { return t.at("data").get<std::vector<double>>(); };
  const Tensor x = test::golden_tensor(c.at("x")), gamma = test::golden_tensor(c.at("gamma"));
  const Tensor beta = test::golden_tensor(c.at("beta"));
  const BatchNormOptions o{c.at("axis").get<std::int64_t>(), c.at("epsilon").get<double>()};
  const BatchNormTraining r = batch_norm_training(x, gamma, beta, o);
  test::check_close(r.y, data(c.at("training_y")), 1e-5, 1e-5, "training y");
  const double momentum = c.at("momentum").get<double>();
  const Tensor mm = moving_average_update(test::golden_tensor(c.at("moving_mean")), r.mean, momentum);
  const Tensor mv = moving_average_update(test::golden_tensor(c.at("moving_variance")), r.variance, momentum);
  test::check_close(mm, data(c.at("moving_mean_after")), 1e-6, 1e-6, "moving mean");
  test::check_close(mv, data(c.at("moving_variance_after")), 1e-6, 1e-6, "moving variance (biased batch variance)");
  test::check_close(batch_norm_inference(x, mm, mv, gamma, beta, o), data(c.at("inference_y_after")), 1e-5, 1e-5,
                    "inference y");
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  const Tensor x = Tensor::zeros(Shape{2, 3, 4});
  test::check_throws_with<ShapeError>([&] { batch_norm_training(x, Tensor::ones(Shape{3}), Tensor()); },
                                      {"batch_norm_training", "gamma (3,)", "(2, 3, 4)", "expected (4,)"});
  test::check_throws_with<ShapeError>([&] { batch_norm_training(x, Tensor(), Tensor(), {5}); }, {"batch_norm_training", "axis"});
  test::check_throws_with<ShapeError>(
      [&] { batch_norm_inference(x, Tensor::zeros(Shape{4}), Tensor::ones(Shape{3}), Tensor(), Tensor()); },
      {"batch_norm_inference", "moving_variance (3,)"});
  test::check_throws_with<ShapeError>([&] { moving_average_update(Tensor::zeros(Shape{3}), Tensor::zeros(Shape{4})); },
                                      {"moving_average_update", "(3,)", "(4,)"});
}

BOOST_AUTO_TEST_SUITE_END()
