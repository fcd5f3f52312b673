#include <cmath>
#include <limits>

#include "core/pool.hpp"
#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;
using core::Window2D;

BOOST_AUTO_TEST_SUITE(test_pooling)

namespace {

struct Case {
  std::int64_t n, h, w, c;
  std::array<std::int64_t, 2> pool, strides;
  const char* padding;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << "x (" << c.n << ", " << c.h << ", " << c.w << ", " << c.c << ") pool " << c.pool[0] << "x" << c.pool[1]
            << " strides (" << c.strides[0] << ", " << c.strides[1] << ") " << c.padding;
}

Window2D geometry(const Case& c) {
  Window2D g;
  g.n = c.n, g.h = c.h, g.w = c.w, g.c = c.c, g.kh = c.pool[0], g.kw = c.pool[1], g.sh = c.strides[0], g.sw = c.strides[1];
  const auto ph = ops::detail::tf_padding("test", c.padding, c.h, g.kh, g.sh, 1);
  const auto pw = ops::detail::tf_padding("test", c.padding, c.w, g.kw, g.sw, 1);
  g.oh = ph.out, g.pt = ph.before, g.ow = pw.out, g.pl = pw.before;
  return g;
}

// Naive pooling from the definition: taps inside the input only; max takes the first maximum in
// row-major window order; the average divides by the taps inside.
struct Naive {
  std::vector<double> max, avg, max_dx, avg_dx;
};
Naive naive_pool(const std::vector<double>& x, const std::vector<double>& dy, const Window2D& g) {
  Naive r;
  r.max.resize(static_cast<std::size_t>(g.pixels() * g.c));
  r.avg.resize(r.max.size());
  r.max_dx.assign(x.size(), 0.0);
  r.avg_dx.assign(x.size(), 0.0);
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t oy = 0; oy < g.oh; ++oy)
      for (std::int64_t ox = 0; ox < g.ow; ++ox)
        for (std::int64_t ch = 0; ch < g.c; ++ch) {
          double best = -std::numeric_limits<double>::infinity(), s = 0;
          std::size_t best_at = 0;
          std::vector<std::size_t> inside;
          for (std::int64_t i = 0; i < g.kh; ++i)
            for (std::int64_t j = 0; j < g.kw; ++j) {
              const std::int64_t iy = oy * g.sh + i - g.pt, ix = ox * g.sw + j - g.pl;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              const auto at = static_cast<std::size_t>(((n * g.h + iy) * g.w + ix) * g.c + ch);
              if (x[at] > best) best = x[at], best_at = at;
              s += x[at];
              inside.push_back(at);
            }
          const auto o = static_cast<std::size_t>(((n * g.oh + oy) * g.ow + ox) * g.c + ch);
          r.max[o] = best;
          r.avg[o] = s / static_cast<double>(inside.size());
          r.max_dx[best_at] += dy[o];
          for (std::size_t at : inside) r.avg_dx[at] += dy[o] / static_cast<double>(inside.size());
        }
  return r;
}

void expect_near(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_EQUAL(got.numel(), static_cast<std::int64_t>(want.size()));
    const auto g = got.to_vector<double>();
    int bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (!(std::fabs(g[i] - want[i]) <= tol * (1 + std::fabs(want[i]))) && bad++ < 3)
        BOOST_TEST_MESSAGE("element " << i << ": got " << g[i] << ", want " << want[i]);
    BOOST_TEST(bad == 0, bad << " of " << want.size() << " elements differ");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(kernels_match_naive_loops_on_every_isa) {
  Generator gen(21);
  const std::vector<Case> cases = {
      {1, 4, 6, 1, {2, 2}, {2, 2}, "valid"},  {3, 7, 5, 3, {3, 3}, {2, 2}, "same"},
      {1, 5, 8, 17, {2, 3}, {1, 2}, "same"},  {3, 6, 5, 17, {3, 2}, {2, 1}, "valid"},
      {1, 2, 3, 3, {4, 4}, {1, 1}, "same"},   {3, 9, 9, 33, {3, 3}, {3, 3}, "valid"},
  };
  test::for_each_isa([&](Isa) {
    for (const Case& c : cases)
      for (DType dt : {DType::float32, DType::float64}) {
        BOOST_TEST_CONTEXT(c << " " << dtype_name(dt)) {
          const Window2D g = geometry(c);
          // Integers 0..6 make ties common; the tie rule is part of what is checked.
          Tensor x = Tensor::uniform(Shape{c.n, c.h, c.w, c.c}, 0, 7, gen, DType::float64);
          x = core::convert(Tensor::from_vector(
                                [&] {
                                  auto v = x.to_vector<double>();
                                  for (double& e : v) e = std::floor(e);
                                  return v;
                                }(),
                                x.shape()),
                            dt);
          const Tensor dy = test::random_tensor(Shape{c.n, g.oh, g.ow, c.c}, gen, dt);
          const Naive want = naive_pool(x.to_vector<double>(), dy.to_vector<double>(), g);
          const double tol = dt == DType::float32 ? 1e-6 : 1e-14;
          expect_near(core::max_pool2d(x, g), want.max, 0, "max");
          expect_near(core::avg_pool2d(x, g), want.avg, tol, "average");
          expect_near(core::max_pool2d_backward(x, dy, g), want.max_dx, tol, "max gradient");
          // The training path: the forward pass saves each output's tap, the backward reads it.
          core::PoolArgmax arg;
          expect_near(core::max_pool2d(x, g, arg), want.max, 0, "max, saving the argmax");
          BOOST_TEST(arg != nullptr);
          expect_near(core::max_pool2d_backward(arg, dy, g), want.max_dx, tol, "max gradient from the saved argmax");
          expect_near(core::avg_pool2d_backward(dy, g), want.avg_dx, tol, "average gradient");
          // gather is the adjoint of the max gradient: <backward(dy), d> = <dy, gather(d)>.
          const Tensor d = test::random_tensor(x.shape(), gen, DType::float64);
          const Tensor dy64 = core::convert(dy, DType::float64), x64 = core::convert(x, DType::float64);
          const double lhs = core::sum(core::mul(core::max_pool2d_backward(x64, dy64, g), d)).item();
          const double rhs = core::sum(core::mul(dy64, core::max_pool2d_gather(x64, d, g))).item();
          BOOST_TEST(std::fabs(lhs - rhs) <= 1e-12 * (1 + std::fabs(lhs)));
        }
      }
  });
}

BOOST_AUTO_TEST_CASE(gradients_of_every_op) {
  Generator gen(22);
  const DType f64 = DType::float64;
  // Distinct values (a random permutation scaled), so the max is unique and differentiable.
  auto distinct = [&](const Shape& s) {
    const Tensor r = test::random_tensor(s, gen, f64, 0, 1);
    auto v = r.to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = v[i] + static_cast<double>(i % 7) * 0.01;
    return Tensor::from_vector(v, s);
  };
  for (const Pool2DOptions& o : {Pool2DOptions{{2, 2}, std::nullopt, "valid"}, Pool2DOptions{{3, 3}, {{2, 2}}, "same"},
                                 Pool2DOptions{{2, 3}, {{1, 1}}, "same"}}) {
    const Tensor x = distinct(Shape{2, 5, 6, 3});
    const Tensor w = test::random_tensor(max_pool2d(x, o).shape(), gen, f64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return max_pool2d(v[0], o) * w; }, {x}, "max_pool2d");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return avg_pool2d(v[0], o) * w; }, {x}, "avg_pool2d");
  }
  const Tensor x1 = distinct(Shape{2, 7, 3});
  for (const Pool1DOptions& o : {Pool1DOptions{2, std::nullopt, "valid"}, Pool1DOptions{3, 2, "same"}}) {
    const Tensor w = test::random_tensor(max_pool1d(x1, o).shape(), gen, f64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return max_pool1d(v[0], o) * w; }, {x1}, "max_pool1d");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return avg_pool1d(v[0], o) * w; }, {x1}, "avg_pool1d");
  }
  const Tensor x = distinct(Shape{2, 3, 4, 5});
  const Tensor w2 = test::random_tensor(Shape{2, 5}, gen, f64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return global_average_pooling2d(v[0]) * w2; }, {x}, "gap2d");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return global_max_pooling2d(v[0]) * w2; }, {x}, "gmp2d");
  const Tensor w1 = test::random_tensor(Shape{2, 3}, gen, f64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return global_average_pooling1d(v[0]) * w1; }, {x1}, "gap1d");
}

BOOST_AUTO_TEST_CASE(second_order_through_pooling) {
  // d/dw of sum(d(sum(pool(x) * w)^2)/dx * v): the gradient's gradient in w (dx is linear in w).
  Generator gen(23);
  const DType f64 = DType::float64;
  const Tensor x = test::random_tensor(Shape{1, 5, 5, 2}, gen, f64);
  const Pool2DOptions o{{3, 3}, {{2, 2}}, "same"};
  const Tensor w = test::random_tensor(max_pool2d(x, o).shape(), gen, f64);
  const Tensor v = test::random_tensor(x.shape(), gen, f64);
  for (bool use_max : {true, false}) {
    auto f = [&](const std::vector<Tensor>& in) {
      GradientTape tape;
      tape.watch(x);
      const Tensor y = use_max ? max_pool2d(x, o) : avg_pool2d(x, o);
      const Tensor gx = tape.gradient(sum(square(mul(y, in[0]))), x);
      return sum(mul(gx, v));
    };
    test::expect_gradients(f, {w}, use_max ? "max second order" : "avg second order");
  }
}

BOOST_AUTO_TEST_CASE(global_pooling_values_and_keepdims) {
  const Tensor x = Tensor::arange(0, 24, 1, DType::float64).reshape({2, 2, 3, 2});
  // Reference by hand: image 0 channel 0 holds 0,2,4,6,8,10 (mean 5, max 10).
  test::check_close(global_average_pooling2d(x), {5, 6, 17, 18}, 0, 1e-15, "average");
  test::check_close(global_max_pooling2d(x), {10, 11, 22, 23}, 0, 0, "max");
  BOOST_TEST(global_average_pooling2d(x, true).shape() == (Shape{2, 1, 1, 2}));
  const Tensor x1 = Tensor::arange(0, 12, 1, DType::float64).reshape({2, 3, 2});
  test::check_close(global_average_pooling1d(x1), {2, 3, 8, 9}, 0, 1e-15, "average 1d");
  test::check_close(global_max_pooling1d(x1), {4, 5, 10, 11}, 0, 0, "max 1d");
}

BOOST_AUTO_TEST_CASE(matches_pytorch_float64) {
  // tests/golden/gen_torch_conv.py: TF padding mapped to torch explicitly; inputs with ties.
  const auto j = test::load_golden("torch_pooling.json");
  auto pair = [](const nlohmann::json& v) { return std::array<std::int64_t, 2>{v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; };
  for (DType dt : {DType::float64, DType::float32}) {
    for (const char* op : {"max_pool2d", "avg_pool2d", "max_pool1d"})
      for (const auto& c : j.at(op)) {
        BOOST_TEST_CONTEXT(op << " " << c.at("name").get<std::string>() << " " << dtype_name(dt)) {
          const Tensor x = test::golden_tensor(c.at("x"), static_cast<int>(dt));
          const Tensor dy = test::golden_tensor(c.at("dy"), static_cast<int>(dt));
          GradientTape tape;
          tape.watch(x);
          Tensor y;
          if (std::string(op) == "max_pool1d") {
            y = max_pool1d(x, {c.at("pool_size"), c.at("strides").get<std::int64_t>(), c.at("padding")});
          } else {
            const Pool2DOptions o{pair(c.at("pool_size")), pair(c.at("strides")), c.at("padding")};
            y = std::string(op) == "max_pool2d" ? max_pool2d(x, o) : avg_pool2d(x, o);
          }
          const double tol = dt == DType::float64 ? 1e-14 : 1e-6;
          BOOST_TEST(y.shape() == test::golden_tensor(c.at("y")).shape());
          expect_near(y, c.at("y").at("data").get<std::vector<double>>(), tol, "y");
          expect_near(tape.gradient(y, std::vector<Tensor>{x}, dy)[0], c.at("dx").at("data").get<std::vector<double>>(), tol, "dx");
        }
      }
  }
}

BOOST_AUTO_TEST_CASE(matches_tensorflow_js_keras_semantics) {
  // tests/golden/gen_keras_conv.mjs: tf.maxPool / tf.avgPool, float32, integer inputs with ties.
  const auto j = test::load_golden("keras_conv.json");
  auto pair = [](const nlohmann::json& v) { return std::array<std::int64_t, 2>{v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; };
  for (const auto& c : j.at("pooling")) {
    const Pool2DOptions o{pair(c.at("pool_size")), pair(c.at("strides")), c.at("padding")};
    for (const char* kind : {"max", "avg"}) {
      BOOST_TEST_CONTEXT(c.at("name").get<std::string>() << " " << kind) {
        const Tensor x = test::golden_tensor(c.at("x"));
        const auto& r = c.at(kind);
        GradientTape tape;
        tape.watch(x);
        const Tensor y = std::string(kind) == "max" ? max_pool2d(x, o) : avg_pool2d(x, o);
        BOOST_TEST(y.shape() == test::golden_tensor(r.at("y")).shape());
        expect_near(y, r.at("y").at("data").get<std::vector<double>>(), 1e-6, "y");
        if (r.contains("dx"))  // absent where tfjs's own gradient is not TensorFlow's (see the generator)
          expect_near(tape.gradient(y, std::vector<Tensor>{x}, test::golden_tensor(r.at("dy")))[0],
                      r.at("dx").at("data").get<std::vector<double>>(), 1e-6, "dx");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  test::check_throws_with<ShapeError>([] { max_pool2d(Tensor::zeros(Shape{4, 4, 3})); },
                                      {"max_pool2d", "[batch, height, width, channels]", "(4, 4, 3)"});
  test::check_throws_with<ShapeError>([] { avg_pool2d(Tensor::zeros(Shape{1, 1, 4, 3}), {{2, 2}}); },
                                      {"avg_pool2d", "window of 2", "input of 1"});
  test::check_throws_with<ShapeError>([] { max_pool2d(Tensor::zeros(Shape{1, 4, 4, 3}), {{2, 2}, std::nullopt, "causal"}); },
                                      {"max_pool2d", "padding 'causal'"});
  test::check_throws_with<ShapeError>([] { max_pool1d(Tensor::zeros(Shape{1, 4, 4, 3})); }, {"max_pool1d", "[batch, steps, channels]"});
  test::check_throws_with<ShapeError>([] { max_pool2d(Tensor::zeros(Shape{1, 4, 4, 3}), {{0, 2}}); }, {"max_pool2d", "pool_size"});
}

BOOST_AUTO_TEST_SUITE_END()
