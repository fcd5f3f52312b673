#include <cmath>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_tape)

BOOST_AUTO_TEST_CASE(watched_tensor_gets_gradient_in_source_order) {
  Tensor x = Tensor::from_values({1, 2, 3}, Shape{3}, DType::float64);
  Tensor w = Tensor::from_values({4, 5, 6}, Shape{3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  Tensor y = sum(x * w + x * x);  // dy/dx = w + 2x, dy/dw = x
  auto g = tape.gradient(y, {w, x});
  test::check_close(g[0], {1, 2, 3}, 0, 0, "dy/dw");
  test::check_close(g[1], {6, 9, 12}, 0, 0, "dy/dx");
}

BOOST_AUTO_TEST_CASE(unwatched_and_unrelated_sources_get_undefined_gradients) {
  Tensor x = Tensor::scalar(2, DType::float64), z = Tensor::scalar(3, DType::float64);
  GradientTape tape;
  tape.watch(x);
  tape.watch(z);
  Tensor y = x * x;
  Tensor plain = Tensor::scalar(5, DType::float64);
  auto g = tape.gradient(y, {x, z, plain});
  BOOST_TEST(g[0].item() == 4);
  BOOST_TEST(!g[1].defined());
  BOOST_TEST(!g[2].defined());
}

BOOST_AUTO_TEST_CASE(trainable_variables_are_watched_automatically) {
  Variable v(Tensor::from_values({1, -2}, Shape{2}, DType::float64), "v");
  Variable frozen(Tensor::from_values({3, 4}, Shape{2}, DType::float64), "frozen", /*trainable=*/false);
  GradientTape tape;
  Tensor y = sum(v.value() * frozen.value());
  auto g = tape.gradient(y, std::vector<Variable>{v, frozen});
  test::check_close(g[0], {3, 4}, 0, 0, "trainable");
  BOOST_TEST(!g[1].defined());
  GradientTape manual(false, /*watch_accessed_variables=*/false);
  Tensor y2 = sum(v.value() * v.value());
  BOOST_TEST(!manual.gradient(y2, v.value()).defined());
}

BOOST_AUTO_TEST_CASE(non_persistent_tape_allows_one_call) {
  Tensor x = Tensor::scalar(3, DType::float64);
  GradientTape tape;
  tape.watch(x);
  Tensor y = x * x;
  BOOST_TEST(tape.gradient(y, x).item() == 6);
  test::check_throws_with<std::runtime_error>([&] { tape.gradient(y, x); }, {"non-persistent", "persistent"});

  GradientTape p(/*persistent=*/true);
  p.watch(x);
  Tensor y2 = x * x * x;
  Tensor y3 = exp(x);
  BOOST_TEST(p.gradient(y2, x).item() == 27);
  BOOST_TEST(std::fabs(p.gradient(y3, x).item() - std::exp(3.0)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(non_scalar_targets_are_summed_or_weighted) {
  Tensor x = Tensor::from_values({1, 2}, Shape{2}, DType::float64);
  GradientTape tape(true);
  tape.watch(x);
  Tensor y = x * x;
  test::check_close(tape.gradient(y, x), {2, 4}, 0, 0, "summed");
  Tensor w = Tensor::from_values({10, -1}, Shape{2}, DType::float64);
  test::check_close(tape.gradient(y, {x}, w)[0], {20, -4}, 0, 0, "weighted");
  test::check_throws_with([&] { tape.gradient(y, {x}, Tensor::ones(Shape{3}, DType::float64)); },
                          {"output_gradients", "(3,)", "(2,)"});
}

BOOST_AUTO_TEST_CASE(stop_gradient_and_no_record_scope) {
  Tensor x = Tensor::scalar(2, DType::float64);
  GradientTape tape(true);
  tape.watch(x);
  Tensor y = x * stop_gradient(x);  // only the first factor carries gradient
  BOOST_TEST(tape.gradient(y, x).item() == 2);
  const std::size_t before = tape.size();
  {
    NoRecordScope none;
    Tensor z = exp(x * x);
    BOOST_TEST(tape.size() == before);
    BOOST_TEST(!tape.gradient(z, x).defined());
  }
}

BOOST_AUTO_TEST_CASE(no_tape_means_no_autograd_state) {
  Tensor a = Tensor::ones(Shape{4}), b = Tensor::ones(Shape{4});
  Tensor c = tanh(a * b + a);
  BOOST_TEST(c.unsafe_impl()->autograd == nullptr);
  BOOST_TEST(!autograd::should_record({&a, &b}));
}

BOOST_AUTO_TEST_CASE(intermediate_tensors_and_hooks) {
  Tensor x = Tensor::from_values({0.5, -1, 2}, Shape{1, 3}, DType::float64);
  GradientTape tape(true);
  tape.watch(x);
  Tensor logits = x * 2.0;
  Tensor probs = softmax(logits);
  Tensor loss = -sum(log(probs) * Tensor::from_values({0, 0, 1}, Shape{1, 3}, DType::float64));
  // d loss / d logits = softmax - onehot
  auto g = tape.gradient(loss, {logits, x});
  const auto p = probs.to_vector<double>();
  test::check_close(g[0], {p[0], p[1], p[2] - 1}, 1e-12, 1e-12, "gradient at the logits");
  test::check_close(g[1], {2 * p[0], 2 * p[1], 2 * (p[2] - 1)}, 1e-12, 1e-12, "gradient at x");

  double seen_norm = 0;
  register_hook(logits, [&](const Tensor& grad) {
    seen_norm = global_norm({grad});
    return grad * 10.0;  // rescales what flows on to x
  });
  auto h = tape.gradient(loss, {x});
  BOOST_TEST(std::fabs(seen_norm - global_norm({g[0]})) < 1e-12);
  test::check_close(h[0], {20 * p[0], 20 * p[1], 20 * (p[2] - 1)}, 1e-12, 1e-12, "rescaled by the hook");
}

BOOST_AUTO_TEST_CASE(second_derivative_of_cube) {
  Tensor x = Tensor::scalar(1.5, DType::float64);
  GradientTape outer;
  outer.watch(x);
  Tensor dy;
  {
    GradientTape inner;
    inner.watch(x);
    Tensor y = x * x * x;
    dy = inner.gradient(y, x);  // 3x^2, recorded by the outer tape
  }
  BOOST_TEST(std::fabs(dy.item() - 3 * 1.5 * 1.5) < 1e-12);
  Tensor d2 = outer.gradient(dy, x);  // 6x
  BOOST_TEST(std::fabs(d2.item() - 9.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(hessian_vector_product_of_mlp_loss) {
  Generator gen(11);
  Tensor x = Tensor::normal(Shape{5, 4}, 0, 1, gen, DType::float64);
  Tensor labels = Tensor::from_vector<std::int64_t>({0, 2, 1, 2, 0}, Shape{5});
  Tensor w1 = Tensor::normal(Shape{4, 6}, 0, 0.5, gen, DType::float64);
  Tensor w2 = Tensor::normal(Shape{6, 3}, 0, 0.5, gen, DType::float64);
  Tensor v1 = Tensor::normal(Shape{4, 6}, 0, 1, gen, DType::float64);
  Tensor v2 = Tensor::normal(Shape{6, 3}, 0, 1, gen, DType::float64);
  // tanh keeps the loss twice differentiable everywhere (relu's second derivative is 0 a.e.).
  auto grads_at = [&](const Tensor& a, const Tensor& b, GradientTape* outer) {
    GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    Tensor h = tanh(reshape(sum(reshape(x, {5, 4, 1}) * reshape(a, {1, 4, 6}), {1}), {5, 6}));
    Tensor logits = sum(reshape(h, {5, 6, 1}) * reshape(b, {1, 6, 3}), {1});
    Tensor loss = sparse_softmax_cross_entropy_with_logits(labels, logits);
    (void)outer;
    return tape.gradient(loss, {a, b});
  };
  GradientTape outer;
  outer.watch(w1);
  outer.watch(w2);
  auto g = grads_at(w1, w2, &outer);
  Tensor gv = sum(g[0] * v1) + sum(g[1] * v2);
  auto hv = outer.gradient(gv, {w1, w2});
  // Finite differences of the gradient along v.
  const double eps = 1e-5;
  auto gp = grads_at(w1 + v1 * eps, w2 + v2 * eps, nullptr);
  auto gm = grads_at(w1 - v1 * eps, w2 - v2 * eps, nullptr);
  for (int k = 0; k < 2; ++k) {
    const auto a = hv[static_cast<std::size_t>(k)].to_vector<double>();
    const auto p = gp[static_cast<std::size_t>(k)].to_vector<double>(), m = gm[static_cast<std::size_t>(k)].to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(std::fabs(a[i] - (p[i] - m[i]) / (2 * eps)) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(bad_calls) {
  GradientTape tape;
  test::check_throws_with([&] { tape.watch(Tensor::zeros(Shape{2}, DType::int64)); }, {"watch", "int64"});
  test::check_throws_with([&] { tape.gradient(Tensor(), {Tensor::zeros(Shape{1})}); }, {"target"});
  test::check_throws_with([&] { tape.gradient(Tensor::zeros(Shape{1}), {Tensor()}); }, {"source 0"});
}


// Issue 8, problem 4: an op with more than 32 inputs (the mask used to be 32 bits: UB and lost
// gradients). PyTorch's gradient of sum(cat(parts) * weights) for parts 3, 35 and 36.
BOOST_AUTO_TEST_CASE(op_with_forty_inputs_gives_every_watched_input_its_gradient) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("concat_many");
  std::vector<Tensor> parts;
  for (const auto& p : c.at("parts")) parts.push_back(test::golden_tensor(p));
  BOOST_REQUIRE_EQUAL(parts.size(), 40u);
  const Tensor weights = test::golden_tensor(c.at("weights"));
  GradientTape tape;
  for (int i : {3, 35, 36}) tape.watch(parts[static_cast<std::size_t>(i)]);
  const Tensor loss = sum(concat(parts, 1) * weights);
  const auto g = tape.gradient(loss, {parts[3], parts[35], parts[36], parts[0]});
  for (std::size_t k = 0; k < 3; ++k)
    test::check_close(g[k], test::golden_tensor(c.at("grads")[k]).to_vector<double>(), 0, 0,
                      "part " + std::to_string(c.at("watched")[k].get<int>()));
  BOOST_TEST(!g[3].defined());  // not watched
}

// Issue 8, problem 5: a persistent tape asked for a gradient through a value that was changed in
// place after it was recorded refuses, as PyTorch does, instead of using the new value.
BOOST_AUTO_TEST_CASE(value_changed_after_recording_is_refused) {
  // The GAN step of the issue: g = 2 * w_g, d = w_d * g; update D, then ask for G's gradient.
  Variable w_g(Tensor::scalar(1.0, DType::float64), "g/w");
  Variable w_d(Tensor::scalar(1.0, DType::float64), "d/w");
  GradientTape tape(/*persistent=*/true);
  const Tensor out = w_d.value() * (2.0 * w_g.value());
  const Tensor grad_d = tape.gradient(out, w_d.value());
  BOOST_TEST(grad_d.item() == 2.0);
  w_d.assign(Tensor::scalar(-0.5, DType::float64));  // as an optimizer step on D would
  test::check_throws_with<std::runtime_error>([&] { tape.gradient(out, w_g.value()); },
                                              {"GradientTape::gradient", "'mul'", "modified in place"});

  // An optimizer step counts as an in-place change too.
  Variable w(Tensor::from_values({1, 2}, Shape{2}, DType::float64), "w");
  GradientTape tape2(/*persistent=*/true);
  const Tensor y = sum(w.value() * w.value());
  nn::SGD sgd(0.1);
  sgd.apply_gradients(tape2.gradient(y, std::vector<Variable>{w}), {w});
  test::check_throws_with<std::runtime_error>([&] { tape2.gradient(y, w.value()); }, {"modified in place"});

  // fill and copy_from on a watched tensor, and nothing when the changed tensor is not needed.
  Tensor x = Tensor::from_values({1, 2}, Shape{2}, DType::float64);
  GradientTape tape3(/*persistent=*/true);
  tape3.watch(x);
  const Tensor sq = x * x;
  const Tensor z = sum(sq);
  BOOST_TEST(tape3.gradient(z, sq).defined());
  x.fill(3);
  test::check_throws_with<std::runtime_error>([&] { tape3.gradient(z, x); }, {"'mul'", "input 0", "(2,)"});
  BOOST_TEST(tape3.gradient(z, sq).to_vector<double>() == std::vector<double>({1, 1}));  // sum's rule needs no x
}

BOOST_AUTO_TEST_SUITE_END()
